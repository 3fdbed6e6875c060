// The work of `disranker teacher cpt|sft` and `disranker rerank`: call the stage with a console reporter, print
// a summary.
import { cptStage } from '../../pipeline/cpt.js';
import { TEACHER_SIZES, type TeacherSize } from '../../pipeline/defaults.js';
import { rerankStage } from '../../pipeline/rerank.js';
import { sftStage } from '../../pipeline/sft.js';
import { DisrankerError } from '../../util/errors.js';
import { isWorker, launchIfAsked } from '../launch.js';
import { consoleReporter } from '../reporter.js';
import { trainerConfig, type TrainerFlags } from '../train-flags.js';

export async function teacherCptAction(
  o: TrainerFlags & { data: string; out: string; tokenizer?: string; init?: string; size: TeacherSize; loraR: number; maxLength: number; minDwell: number; skipAbove?: boolean; lastClick?: boolean; dedup: boolean; weight: 'none' | 'pbm' | 'ipw'; seed: number; steps: number; batchSize: number; lr: number },
): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await cptStage(
    { data: o.data, tokenizer: o.tokenizer, init: o.init, model: TEACHER_SIZES[o.size], loraR: o.loraR, out: o.out, seed: o.seed, steps: o.steps, batchSize: o.batchSize, lr: o.lr, maxLength: o.maxLength, minDwell: o.minDwell, skipAbove: o.skipAbove, lastClick: o.lastClick, dedup: o.dedup, weight: o.weight, train: trainerConfig(o), force: o.force, fresh: o.fresh },
    reporter,
  );
  if (r.heldOut) reporter.info(`held-out perplexity ${r.heldOut.perplexityBefore.toFixed(1)} → ${r.heldOut.perplexityAfter.toFixed(2)}`);
  reporter.info(`CPT: ${r.records} examples, loss ${r.loss.first10.toFixed(3)} → ${r.loss.last10.toFixed(3)}${r.cached ? ' (cached)' : ''}; model in ${r.modelDir}`);
}

export async function teacherSftAction(
  o: TrainerFlags & { data: string; out: string; init?: string; tokenizer?: string; loss: 'hinge' | 'ranknet' | 'listwise'; margin: number; groupsPerStep: number; groupSize: number; hardDepth: number; maxLength: number; labels: 'judged' | 'hidden'; loraR: number; lmWeight: number; clickReplay: number; evalEvery: number; seed: number; steps: number; lr: number },
): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await sftStage(
    {
      data: o.data,
      init: o.init,
      tokenizer: o.tokenizer,
      out: o.out,
      seed: o.seed,
      steps: o.steps,
      lr: o.lr,
      loss: o.loss,
      margin: o.margin,
      groupsPerStep: o.groupsPerStep,
      groupSize: o.groupSize,
      hardDepth: o.hardDepth,
      maxLength: o.maxLength,
      labels: o.labels,
      loraR: o.loraR,
      lmWeight: o.lmWeight,
      clickReplay: o.clickReplay,
      evalEvery: o.evalEvery,
      train: trainerConfig(o),
      force: o.force,
      fresh: o.fresh,
    },
    reporter,
  );
  for (const e of r.dev) reporter.info(`  dev at step ${e.step}: nDCG@10 ${e.metrics.ndcg_cut_10.toFixed(4)}, PNR ${e.metrics.pnr.toFixed(3)}`);
  reporter.info(`SFT: loss ${r.loss.first10.toFixed(3)} → ${r.loss.last10.toFixed(3)}; best dev nDCG@10 ${r.best?.ndcg_cut_10.toFixed(4) ?? '-'} at step ${r.best?.step ?? '-'}${r.cached ? ' (cached)' : ''}; model in ${r.modelDir}`);
}

export async function rerankAction(o: { model: string; data: string; split: string; out: string; batchSize: number; maxLength: number; tag: string; bf16?: boolean; json?: boolean }): Promise<void> {
  const r = await rerankStage(o);
  if (o.json) console.log(JSON.stringify(r));
  else console.log(`wrote ${r.out}: ${r.queries} queries, ${r.pairs} pairs in ${r.seconds.toFixed(1)} s (${r.pairs_per_s.toFixed(0)} pairs/s, ${r.ms_per_100.toFixed(1)} ms per 100 candidates, ${(100 * r.padded_fraction).toFixed(1)}% padding)`);
}

export async function teacherScoreAction(o: { model: string; data: string; out: string; queries: string; candidates?: number; shard?: { index: number; count: number }; nproc?: number; batchSize: number; maxLength: number; chunkQueries: number; bf16?: boolean; json?: boolean; quiet?: boolean }): Promise<void> {
  if (o.nproc && o.nproc > 1 && !isWorker()) {
    // n processes score shards i/n (each resumable on its own), then the shards are merged: the same file as one process
    if (o.shard) throw new DisrankerError('DR_ERR_USAGE', '--nproc and --shard do not go together: --nproc n runs the shards 0/n … n−1/n itself');
    const t0 = performance.now();
    await launchIfAsked({ nproc: o.nproc }, { extraArgs: (rank, world) => ['--shard', `${rank}/${world}`, '--quiet'], quiet: o.quiet || o.json });
    const { mergeScoreShards } = await import('../../pipeline/teacher-score.js');
    const r = mergeScoreShards(o.out, o.nproc);
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) console.log(JSON.stringify({ file: r.file, pairs: r.pairs, nproc: o.nproc, seconds, pairs_per_s: r.pairs / seconds }));
    else console.log(`wrote ${r.file}: ${r.pairs} pairs from ${o.nproc} worker processes in ${seconds.toFixed(1)} s`);
    return;
  }
  const { teacherScoreStage } = await import('../../pipeline/teacher-score.js');
  const r = await teacherScoreStage(o, consoleReporter({ quiet: o.quiet || o.json }));
  if (o.json) console.log(JSON.stringify(r));
  else console.log(`wrote ${r.file}: ${r.pairs} pairs of ${r.queries} queries (${r.scoredChunks} chunks scored now, ${r.skippedChunks} done before) at ${r.pairs_per_s.toFixed(0)} pairs/s`);
}

export async function mergeScoresAction(o: { out: string; shards: number }): Promise<void> {
  const { mergeScoreShards } = await import('../../pipeline/teacher-score.js');
  const r = mergeScoreShards(o.out, o.shards);
  console.log(`wrote ${r.file}: ${r.pairs} pairs from ${o.shards} shards`);
}
