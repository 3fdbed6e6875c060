// The work of `disranker student pretrain|train|ablate` and `disranker distill`.
import { ablateStage } from '../../pipeline/ablate.js';
import { distillStage, type DistillLoss, type Normalization } from '../../pipeline/distill.js';
import type { PretrainPairs, StudentSize } from '../../pipeline/defaults.js';
import { studentLabelsStage, studentPretrainStage, type StudentTrainResult } from '../../pipeline/student.js';
import type { Reporter } from '../../util/reporter.js';
import { consoleReporter } from '../reporter.js';
import { trainerConfig, type TrainerFlags } from '../train-flags.js';

function summary(reporter: Reporter, what: string, r: StudentTrainResult): void {
  for (const e of r.dev) reporter.info(`  dev at step ${e.step}: nDCG@10 ${e.metrics.ndcg_cut_10.toFixed(4)}, PNR ${e.metrics.pnr.toFixed(3)}`);
  reporter.info(`${what}: loss ${r.loss.first10.toFixed(4)} → ${r.loss.last10.toFixed(4)}; best dev nDCG@10 ${r.best?.ndcg_cut_10.toFixed(4) ?? '-'} at step ${r.best?.step ?? '-'}${r.cached ? ' (cached)' : ''}; model in ${r.modelDir}`);
}

export async function studentPretrainAction(o: TrainerFlags & { data: string; out: string; size: StudentSize; vocabSize: number; maxLength: number; pairs: PretrainPairs; queryMaskRate: number; seed: number; steps: number; batchSize: number; lr: number }): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await studentPretrainStage({ data: o.data, out: o.out, seed: o.seed, size: o.size, vocabSize: o.vocabSize, steps: o.steps, batchSize: o.batchSize, lr: o.lr, maxLength: o.maxLength, pairs: o.pairs, queryMaskRate: o.queryMaskRate, train: trainerConfig(o), force: o.force, fresh: o.fresh }, reporter);
  reporter.info(`MLM: loss ${r.loss.first10.toFixed(3)} → ${r.loss.last10.toFixed(3)}${r.cached ? ' (cached)' : ''}; student in ${r.modelDir}`);
}

export async function studentLabelsAction(o: TrainerFlags & { data: string; init: string; out: string; loss: 'hinge' | 'ranknet' | 'listwise'; groupsPerStep: number; groupSize: number; hardDepth: number; maxLength: number; mlmWeight: number; mlmQueryMaskRate: number; evalEvery: number; seed: number; steps: number; lr: number }): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await studentLabelsStage({ ...o, train: trainerConfig(o) }, reporter);
  summary(reporter, 'label-only student', r);
}

export async function distillAction(
  o: TrainerFlags & { data: string; init: string; scores: string; out: string; loss: DistillLoss; alpha: number; beta: number; normalize: Normalization; queriesPerStep: number; candidatesPerQuery: number; maxLength: number; mlmWeight: number; mlmQueryMaskRate: number; evalEvery: number; seed: number; steps: number; lr: number },
): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await distillStage({ ...o, train: trainerConfig(o) }, reporter);
  summary(reporter, `distilled student (${o.loss})`, r);
}

export async function studentAblateAction(
  o: TrainerFlags & {
    data: string;
    init: string;
    scores: string;
    out: string;
    betas: number[];
    split: string;
    alpha: number;
    beta: number;
    normalize: Normalization;
    queriesPerStep: number;
    candidatesPerQuery: number;
    maxLength: number;
    mlmWeight: number;
    mlmQueryMaskRate: number;
    evalEvery: number;
    seed: number;
    steps: number;
    lr: number;
    permutations: number;
    bootstrap: number;
  },
): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await ablateStage({ ...o, train: trainerConfig(o) }, reporter);
  process.stdout.write(r.markdown);
}
