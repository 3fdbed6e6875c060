// `disranker pipeline run`: the configuration (presets, JSON/YAML files, --set), the stage plan (keys that change
// only downstream of a changed setting; stages skipped on a data set without a click log), and the whole job on
// the tiny world with a few steps per stage: every variant evaluated, report.json and report.html written, a
// rerun that trains nothing, and a changed β that reruns only the distillation and what follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { parseSettings, readPipelineConfigFile, resolvePipelineConfig, type PipelineConfigFile } from '../../src/pipeline/pipeline-config.js';
import { DOWNSTREAM, PIPELINE_STAGES, planPipeline, runPipeline, downstreamOf } from '../../src/pipeline/pipeline.js';
import { writePipelineReport } from '../../src/pipeline/pipeline-report.js';
import { PRESETS } from '../../src/data/synth/world.js';
import { recordingReporter } from '../../src/util/reporter.js';
import { need } from '../helpers/env.js';

const WORLD = { hasClickLog: true, unjudgedLists: 40, contentHash: null };

test('configuration: preset, then file, then --set; unknown or ill-typed fields are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-pcfg-'));
  writeFileSync(join(dir, 'c.yaml'), 'preset: quick\nseed: 5\ndistill:\n  beta: 0.25\n');
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ cpt: { steps: 7 } }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ cpt: { stepz: 7 } }));
  const cfg = resolvePipelineConfig({ layers: [readPipelineConfigFile(join(dir, 'c.yaml')), readPipelineConfigFile(join(dir, 'c.json')), parseSettings(['sft.steps=3', 'sft.loss=hinge'])] });
  assert.equal(cfg.preset, 'quick');
  assert.equal(cfg.data.world, 'tiny');
  assert.deepEqual([cfg.seed, cfg.distill.beta, cfg.cpt.steps, cfg.sft.steps], [5, 0.25, 7, 3]);
  assert.deepEqual([resolvePipelineConfig({}).sft.loss, cfg.sft.loss], ['listwise', 'hinge']); // the pipeline's measured recipe; the paper's hinge on request
  assert.throws(() => resolvePipelineConfig({ layers: [parseSettings(['sft.loss=hingee'])] }), /sft\.loss/);
  assert.equal(cfg.distill.alpha, resolvePipelineConfig({ preset: 'quick' }).distill.alpha);
  assert.throws(() => readPipelineConfigFile(join(dir, 'bad.json')), /cpt: Unrecognized key/i);
  assert.throws(() => parseSettings(['distill.beta=-1']), /distill\.beta/);
  assert.throws(() => resolvePipelineConfig({ preset: 'huge' }), /expected one of default, quick, long/);
  // `long` is the default with longer students: the same teacher stages, so they are reused from a default run
  const long = resolvePipelineConfig({ preset: 'long' });
  const def = resolvePipelineConfig();
  assert.deepEqual({ ...long, preset: 'default', studentLabels: def.studentLabels, distill: def.distill }, def);
  assert.ok(long.distill.steps > def.distill.steps && long.studentLabels.steps === long.distill.steps);
});

test('stage keys: a changed β changes only the Margin-MSE and hybrid students and what follows', () => {
  const a = planPipeline(resolvePipelineConfig({ preset: 'quick' }), '/tmp/x', WORLD);
  const b = planPipeline(resolvePipelineConfig({ preset: 'quick', layers: [{ distill: { beta: 0.5 } }] }), '/tmp/x', WORLD);
  const changed = PIPELINE_STAGES.filter((s) => a.get(s)!.key !== b.get(s)!.key);
  assert.deepEqual(changed, ['distill-margin', 'distill-hybrid', 'evaluate', 'export']);
  // the long preset reuses a default run's teachers and student MLM
  const d = planPipeline(resolvePipelineConfig(), '/tmp/x', WORLD);
  const l = planPipeline(resolvePipelineConfig({ preset: 'long' }), '/tmp/x', WORLD);
  assert.deepEqual(
    PIPELINE_STAGES.filter((s) => d.get(s)!.key !== l.get(s)!.key),
    ['student-labels', 'distill-pointwise', 'distill-margin', 'distill-hybrid', 'evaluate', 'export'],
  );
  assert.ok(a.get('cpt')!.dir.endsWith(`stages/cpt-${a.get('cpt')!.key}`));
  assert.deepEqual([...downstreamOf(['student-pretrain'])], ['student-pretrain', 'student-labels', 'distill-pointwise', 'distill-margin', 'distill-hybrid', 'evaluate', 'export']);
  // side by side, what more stages wait for starts first: CPT, then the student's MLM, then the SFT-only arm
  assert.deepEqual([DOWNSTREAM.get('cpt'), DOWNSTREAM.get('student-pretrain'), DOWNSTREAM.get('sft-only')], [7, 6, 1]);
  // a preset whose numbers change (a new release) is a new world, and everything after it reruns
  const tiny = PRESETS.tiny;
  PRESETS.tiny = { ...tiny, judgedQueries: tiny.judgedQueries + 1 };
  try {
    const c = planPipeline(resolvePipelineConfig({ preset: 'quick' }), '/tmp/x', WORLD);
    assert.deepEqual(PIPELINE_STAGES.filter((s) => a.get(s)!.key === c.get(s)!.key), []);
  } finally {
    PRESETS.tiny = tiny;
  }
});

test('stage plan on a data set without a click log: what cannot run is skipped, with the reason', () => {
  const plan = planPipeline(resolvePipelineConfig({ layers: [{ data: { path: '/data/wikiqa' } }] }), '/tmp/x', { hasClickLog: false, unjudgedLists: 0, contentHash: 'abc' });
  const skipped = Object.fromEntries(PIPELINE_STAGES.filter((s) => plan.get(s)!.skip).map((s) => [s, plan.get(s)!.skip]));
  assert.match(skipped.cpt!, /no click log/);
  assert.match(skipped.sft!, /needs cpt/);
  assert.match(skipped['student-pretrain']!, /nothing to pre-train/);
  assert.match(skipped['distill-hybrid']!, /needs student-pretrain, teacher-score/);
  assert.equal(skipped.export, 'no student was trained');
  for (const s of ['world', 'tokenizer', 'sft-only', 'evaluate'] as const) assert.equal(plan.get(s)!.skip, null, s);
});

test('stage plan: the student\'s MLM on click pairs needs a click log; on candidate lists it does not', () => {
  const facts = { hasClickLog: false, unjudgedLists: 40, contentHash: 'abc' };
  const clicks = planPipeline(resolvePipelineConfig({ layers: [{ data: { path: '/data/x' }, studentPretrain: { pairs: 'clicks' } }] }), '/tmp/x', facts);
  assert.match(clicks.get('student-pretrain')!.skip!, /no click log.*studentPretrain\.pairs/);
  assert.match(clicks.get('student-labels')!.skip!, /needs student-pretrain/);
  const lists = planPipeline(resolvePipelineConfig({ layers: [{ data: { path: '/data/x' }, studentPretrain: { pairs: 'candidates' } }] }), '/tmp/x', facts);
  assert.equal(lists.get('student-pretrain')!.skip, null);
  assert.equal(lists.get('student-labels')!.skip, null);
  // the settings from before the two options existed keep their stage key
  const old = planPipeline(resolvePipelineConfig({ layers: [{ studentPretrain: { pairs: 'candidates', queryMaskRate: 0.15 } }] }), '/tmp/x', WORLD);
  const settings = old.get('student-pretrain')!.settings;
  assert.ok(!('pairs' in settings) && !('queryMaskRate' in settings), JSON.stringify(settings));
  assert.equal(settings.steps, 3000);
  const now = planPipeline(resolvePipelineConfig(), '/tmp/x', WORLD).get('student-pretrain')!.settings;
  assert.equal(now.pairs, 'clicks');
  assert.equal(now.queryMaskRate, 0.5);
});

test('pipeline on the tiny world: every variant, report.json and report.html; a rerun trains nothing; β reruns only the distillation on', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const out = mkdtempSync(join(tmpdir(), 'dr-pipeline-'));
  const few: PipelineConfigFile = {
    cpt: { steps: 10 },
    sft: { steps: 6, evalEvery: 3 },
    studentPretrain: { steps: 10 },
    studentLabels: { steps: 6, evalEvery: 3 },
    distill: { steps: 6, evalEvery: 3 },
    evaluate: { permutations: 200, bootstrap: 200 },
    latency: { rounds: 2 },
  };
  const config = resolvePipelineConfig({ preset: 'quick', layers: [few] });
  const first = await runPipeline({ out, config }, recordingReporter());
  assert.deepEqual(first.ran, [...PIPELINE_STAGES]);
  const report = await writePipelineReport(first);
  assert.deepEqual(Object.keys(report.test.runs), ['bm25', 'production', 'teacher', 'teacher-sft-only', 'student-labels', 'student-pointwise', 'student-margin', 'student-hybrid']);
  for (const [v, m] of Object.entries(report.test.runs)) {
    for (const k of ['ndcg_cut_5', 'ndcg_cut_10', 'map', 'recip_rank', 'pnr']) assert.equal(typeof m[k], 'number', `${v} ${k}`);
  }
  assert.ok(report.test.queries > 0);
  const c = report.test.comparisons.find((x) => x.run === 'student-hybrid' && x.baseline === 'student-labels' && x.metric === 'ndcg_cut_10');
  assert.ok(c && typeof c.p === 'number' && typeof c.p_holm === 'number', 'hybrid vs label-only is compared');
  assert.ok(report.test.comparisons.some((x) => x.run === 'teacher' && x.baseline === 'teacher-sft-only'));
  const lat = report.latency_ms_per_100;
  assert.ok([lat.teacher, lat.student, lat.student_onnx].every((x) => typeof x === 'number' && x > 0), JSON.stringify(lat));
  for (const s of PIPELINE_STAGES) assert.equal(typeof report.stages[s].seconds, 'number', s);
  assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'pipeline.config.json')));
  assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).preset, 'quick');

  // the same settings again: every stage is recorded as done
  const t0 = performance.now();
  const again = await runPipeline({ out, config }, recordingReporter());
  assert.deepEqual(again.ran, []);
  assert.ok(PIPELINE_STAGES.every((s) => again.stages[s].status === 'cached'));
  assert.ok(performance.now() - t0 < 10_000, 'a finished pipeline reruns in seconds');
  assert.deepEqual((await writePipelineReport(again)).test.runs, report.test.runs);

  // only β changes: the Margin-MSE and hybrid students, the evaluation and the export run again
  const beta = await runPipeline({ out, config: resolvePipelineConfig({ preset: 'quick', layers: [few, { distill: { beta: 0.5 } }] }) }, recordingReporter());
  assert.deepEqual(beta.ran, ['distill-margin', 'distill-hybrid', 'evaluate', 'export']);

  // --only reruns one stage on the recorded upstream
  const only = await runPipeline({ out, config, only: 'evaluate' }, recordingReporter());
  assert.deepEqual(only.ran, ['evaluate']);
});
