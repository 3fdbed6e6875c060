// report.html: every plot is drawn as inline SVG, the page loads nothing from the network, and headless Chromium
// (Debian's chromium) renders it with every plot's marks on screen and no console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bootstrapMean, PLOTS, reportHtml, type PipelineReport, type ReportPlotsData } from '../../src/report/report-html.js';
import { need } from '../helpers/env.js';

const CHROMIUM = process.env.DISRANKER_CHROMIUM ?? '/usr/bin/chromium';

/** A report as the pipeline writes it, with made-up numbers (8 variants, 12 test queries). */
function sampleReport(): { report: PipelineReport; data: ReportPlotsData } {
  const variants = ['bm25', 'production', 'teacher', 'teacher-sft-only', 'student-labels', 'student-pointwise', 'student-margin', 'student-hybrid'];
  const qids = Array.from({ length: 12 }, (_, i) => `q${i}`);
  const v = (i: number, q: number) => ((i * 7 + q * 13) % 10) / 10;
  const per_query = Object.fromEntries(
    variants.map((name, i) => [name, { ndcg_cut_10: Object.fromEntries(qids.map((q, k) => [q, v(i, k)])), pnr_pair_acc: Object.fromEntries(qids.map((q, k) => [q, 0.5 + v(i, k) / 2])) }]),
  );
  const runs = Object.fromEntries(variants.map((name, i) => [name, { ndcg_cut_5: 0.4 + i / 50, ndcg_cut_10: 0.45 + i / 50, map: 0.3, recip_rank: 0.6, pnr: 1.2 }]));
  const report: PipelineReport = {
    preset: 'quick',
    seed: 0,
    test: {
      queries: qids.length,
      runs,
      comparisons: [{ run: 'student-hybrid', baseline: 'student-labels', metric: 'ndcg_cut_10', delta: 0.02, ci95: [-0.01, 0.05], p: 0.2, p_holm: 0.4, significant: false }],
      per_query,
      skipped_variants: {},
    },
    latency_ms_per_100: { teacher: 120, student: 9, student_onnx: 4, student_variant: 'student-hybrid' },
    stages: { world: { status: 'ran', seconds: 1 }, cpt: { status: 'cached', seconds: 15 } },
  };
  const losses = ['cpt', 'sft', 'student-pretrain'].flatMap((stage, s) => Array.from({ length: 10 }, (_, k) => ({ stage, step: (k + 1) * 10, loss: 5 - k * 0.3 - s })));
  const scores = Array.from({ length: 50 }, (_, i) => ({ teacher: i / 10, student: i / 12 + ((i * 37) % 7) / 10 }));
  return { report, data: { losses, scores, scatterStudent: 'student-hybrid' } };
}

test('bootstrapMean: the mean inside its interval; NaN and null left out', () => {
  const b = bootstrapMean([0, 1, 0, 1, null, NaN, 1]);
  assert.equal(b.n, 5);
  assert.equal(b.mean, 0.6);
  assert.ok(b.lo <= b.mean && b.mean <= b.hi && b.lo >= 0 && b.hi <= 1);
  assert.ok(Number.isNaN(bootstrapMean([]).mean));
});

test('report.html: one SVG per plot, no script, no external reference', async () => {
  const { report, data } = sampleReport();
  const html = await reportHtml(report, data);
  for (const p of PLOTS) assert.match(html, new RegExp(`<figure class="plot" data-plot="${p}" data-empty="false"><svg`), p);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="https?:/i);
  // a variant without data shows a note instead of an empty plot
  const empty = await reportHtml({ ...report, latency_ms_per_100: { teacher: null, student: null, student_onnx: null } }, { ...data, scores: [] });
  assert.match(empty, /data-plot="latency" data-empty="true"><p class="empty">no latency measured/);
});

test('report.html renders in headless Chromium: every plot drew, no console error, no request', async (t) => {
  if (!need(t, existsSync(CHROMIUM), `${CHROMIUM} is absent (apt-get install chromium)`)) return;
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'dr-report-'));
  const file = join(dir, 'report.html');
  const { report, data } = sampleReport();
  writeFileSync(file, await reportHtml(report, data));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('request', (r) => void (r.url().startsWith('file:') || requests.push(r.url())));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const plots = await page.$$eval('figure.plot', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        // drawn marks: the shapes inside vega's mark groups, with a size on screen
        const marks = svg ? [...svg.querySelectorAll('g.role-mark path, g.role-mark line, g.role-mark text')].filter((m) => { const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; }).length : 0;
        return { name: f.getAttribute('data-plot'), width: box?.width ?? 0, height: box?.height ?? 0, marks };
      }),
    );
    assert.deepEqual(plots.map((p) => p.name), [...PLOTS]);
    for (const p of plots) assert.ok(p.width > 50 && p.height > 50 && p.marks > 0, `plot ${p.name} did not draw: ${JSON.stringify(p)}`);
    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(requests, [], 'network requests');
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
