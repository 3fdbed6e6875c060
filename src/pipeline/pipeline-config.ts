// The configuration of `disranker pipeline run`: one typed object with a default for every field, written once
// here as presets. A run's configuration is a preset, then a JSON or YAML file's fields over it, then `--set
// key=value` overrides; the resolved object is saved in the output folder (pipeline.config.json).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import { DisrankerError } from '../util/errors.js';

import { CPT_DEFAULTS, DISTILL_DEFAULTS, NORMALIZATIONS, PIPELINE_SFT_DEFAULTS, PIPELINE_STUDENT_DEFAULTS, PRETRAIN_PAIRS, SFT_DEFAULTS, STUDENT_PRETRAIN_DEFAULTS, STUDENT_SIZES, STUDENT_TRAIN_DEFAULTS, TEACHER_SIZES, TOKENIZER_DEFAULTS, type PretrainPairs } from './defaults.js';

/** The pipeline's stages, in order (here, not in pipeline.ts, so the CLI lists them without loading the stages). */
export const PIPELINE_STAGES = [
  'world',
  'tokenizer',
  'cpt',
  'sft',
  'sft-only',
  'teacher-score',
  'student-pretrain',
  'student-labels',
  'distill-pointwise',
  'distill-margin',
  'distill-hybrid',
  'evaluate',
  'export',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];
/** Names `--from` and `--only` take besides the stages': a group of stages. */
export const STAGE_GROUPS: Record<string, PipelineStage[]> = { distill: ['distill-pointwise', 'distill-margin', 'distill-hybrid'] };

export interface PipelineConfig {
  /** the preset this configuration started from */
  preset: string;
  seed: number;
  data: {
    /** the synthetic world's size (when no data set is given) */
    world: string;
    /** an imported data set folder instead of the synthetic world (null: the world) */
    path: string | null;
  };
  tokenizer: { vocabSize: number };
  cpt: { steps: number; batchSize: number; lr: number; size: keyof typeof TEACHER_SIZES };
  /** ranking SFT of the CPT teacher; the SFT-only ablation uses the same settings from a decoder from scratch */
  sft: { steps: number; lr: number; loss: typeof SFT_DEFAULTS.loss; margin: number; groupsPerStep: number; groupSize: number; hardDepth: number; lmWeight: number; evalEvery: number };
  /** teacher scoring of the click-log queries' candidates; candidates: the top of each list (null: all) */
  teacherScore: { candidates: number | null; batchSize: number };
  studentPretrain: { size: keyof typeof STUDENT_SIZES; vocabSize: number; steps: number; batchSize: number; lr: number; pairs: PretrainPairs; queryMaskRate: number };
  studentLabels: { steps: number; lr: number; evalEvery: number };
  distill: { steps: number; lr: number; alpha: number; beta: number; normalize: typeof DISTILL_DEFAULTS.normalize; evalEvery: number };
  evaluate: { permutations: number; bootstrap: number };
  /** latency per 100 candidates: timed rounds of 100 test pairs (the first is a warm-up) */
  latency: { rounds: number };
}

/** The README's main job on the small world. */
const DEFAULT_PRESET: PipelineConfig = {
  preset: 'default',
  seed: 0,
  data: { world: 'small', path: null },
  tokenizer: { vocabSize: TOKENIZER_DEFAULTS.vocabSize },
  cpt: { steps: CPT_DEFAULTS.steps, batchSize: CPT_DEFAULTS.batchSize, lr: CPT_DEFAULTS.lr, size: CPT_DEFAULTS.size },
  sft: { steps: PIPELINE_SFT_DEFAULTS.steps, lr: SFT_DEFAULTS.lr, loss: PIPELINE_SFT_DEFAULTS.loss, margin: SFT_DEFAULTS.margin, groupsPerStep: SFT_DEFAULTS.groupsPerStep, groupSize: SFT_DEFAULTS.groupSize, hardDepth: SFT_DEFAULTS.hardDepth, lmWeight: SFT_DEFAULTS.lmWeight, evalEvery: PIPELINE_SFT_DEFAULTS.evalEvery },
  teacherScore: { candidates: 20, batchSize: 32 },
  studentPretrain: { size: STUDENT_PRETRAIN_DEFAULTS.size, vocabSize: STUDENT_PRETRAIN_DEFAULTS.vocabSize, steps: STUDENT_PRETRAIN_DEFAULTS.steps, batchSize: STUDENT_PRETRAIN_DEFAULTS.batchSize, lr: STUDENT_PRETRAIN_DEFAULTS.lr, pairs: STUDENT_PRETRAIN_DEFAULTS.pairs, queryMaskRate: STUDENT_PRETRAIN_DEFAULTS.queryMaskRate },
  studentLabels: { steps: PIPELINE_STUDENT_DEFAULTS.steps, lr: STUDENT_TRAIN_DEFAULTS.lr, evalEvery: PIPELINE_STUDENT_DEFAULTS.evalEvery },
  distill: { steps: PIPELINE_STUDENT_DEFAULTS.steps, lr: STUDENT_TRAIN_DEFAULTS.lr, alpha: DISTILL_DEFAULTS.alpha, beta: DISTILL_DEFAULTS.beta, normalize: DISTILL_DEFAULTS.normalize, evalEvery: PIPELINE_STUDENT_DEFAULTS.evalEvery },
  evaluate: { permutations: 10_000, bootstrap: 10_000 },
  latency: { rounds: 6 },
};

/** `default`: the README's main job. `quick`: the same frame on the tiny world, in minutes. `long`: the default with
 * its four students trained 9,000 steps instead of 2,000 (docs/pipeline.md has its cost). */
export const PIPELINE_PRESETS: Record<string, PipelineConfig> = {
  default: DEFAULT_PRESET,
  quick: {
    preset: 'quick',
    seed: 0,
    data: { world: 'tiny', path: null },
    tokenizer: { vocabSize: 1000 },
    cpt: { steps: 100, batchSize: 8, lr: CPT_DEFAULTS.lr, size: CPT_DEFAULTS.size },
    sft: { steps: 60, lr: SFT_DEFAULTS.lr, loss: PIPELINE_SFT_DEFAULTS.loss, margin: SFT_DEFAULTS.margin, groupsPerStep: 2, groupSize: SFT_DEFAULTS.groupSize, hardDepth: SFT_DEFAULTS.hardDepth, lmWeight: SFT_DEFAULTS.lmWeight, evalEvery: 20 },
    teacherScore: { candidates: null, batchSize: 32 },
    studentPretrain: { size: STUDENT_PRETRAIN_DEFAULTS.size, vocabSize: 1000, steps: 100, batchSize: 16, lr: STUDENT_PRETRAIN_DEFAULTS.lr, pairs: STUDENT_PRETRAIN_DEFAULTS.pairs, queryMaskRate: STUDENT_PRETRAIN_DEFAULTS.queryMaskRate },
    studentLabels: { steps: 60, lr: STUDENT_TRAIN_DEFAULTS.lr, evalEvery: 20 },
    distill: { steps: 60, lr: STUDENT_TRAIN_DEFAULTS.lr, alpha: DISTILL_DEFAULTS.alpha, beta: DISTILL_DEFAULTS.beta, normalize: DISTILL_DEFAULTS.normalize, evalEvery: 20 },
    evaluate: { permutations: 2_000, bootstrap: 2_000 },
    latency: { rounds: 4 },
  },
  long: {
    ...DEFAULT_PRESET,
    preset: 'long',
    studentLabels: { ...DEFAULT_PRESET.studentLabels, steps: STUDENT_TRAIN_DEFAULTS.longSteps },
    distill: { ...DEFAULT_PRESET.distill, steps: STUDENT_TRAIN_DEFAULTS.longSteps },
  },
};
export const DEFAULT_PIPELINE_PRESET = 'default';

const int = (min: number) => z.number().int().min(min);
const pos = z.number().positive();
/** A configuration file: every field optional, unknown fields refused. */
const FileSchema = z
  .object({
    preset: z.string().optional(),
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
    data: z.object({ world: z.string().optional(), path: z.string().nullable().optional() }).strict().optional(),
    tokenizer: z.object({ vocabSize: int(100).optional() }).strict().optional(),
    cpt: z.object({ steps: int(1).optional(), batchSize: int(1).optional(), lr: pos.optional(), size: z.enum(Object.keys(TEACHER_SIZES) as [keyof typeof TEACHER_SIZES]).optional() }).strict().optional(),
    sft: z
      .object({ steps: int(1).optional(), lr: pos.optional(), loss: z.enum(['hinge', 'ranknet', 'listwise']).optional(), margin: pos.optional(), groupsPerStep: int(1).optional(), groupSize: int(2).optional(), hardDepth: int(1).optional(), lmWeight: z.number().min(0).optional(), evalEvery: int(1).optional() })
      .strict()
      .optional(),
    teacherScore: z.object({ candidates: int(2).nullable().optional(), batchSize: int(1).optional() }).strict().optional(),
    studentPretrain: z
      .object({ size: z.enum(Object.keys(STUDENT_SIZES) as [keyof typeof STUDENT_SIZES]).optional(), vocabSize: int(100).optional(), steps: int(1).optional(), batchSize: int(1).optional(), lr: pos.optional(), pairs: z.enum(PRETRAIN_PAIRS).optional(), queryMaskRate: z.number().gt(0).max(1).optional() })
      .strict()
      .optional(),
    studentLabels: z.object({ steps: int(1).optional(), lr: pos.optional(), evalEvery: int(1).optional() }).strict().optional(),
    distill: z
      .object({ steps: int(1).optional(), lr: pos.optional(), alpha: z.number().min(0).optional(), beta: z.number().min(0).optional(), normalize: z.enum(NORMALIZATIONS).optional(), evalEvery: int(1).optional() })
      .strict()
      .optional(),
    evaluate: z.object({ permutations: int(1).optional(), bootstrap: int(1).optional() }).strict().optional(),
    latency: z.object({ rounds: int(2).optional() }).strict().optional(),
  })
  .strict();
export type PipelineConfigFile = z.infer<typeof FileSchema>;

/** Reads a JSON (.json) or YAML (.yaml, .yml) configuration file; its fields are checked, unknown ones refused. */
export function readPipelineConfigFile(file: string): PipelineConfigFile {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? yaml.load(text) : JSON.parse(text);
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${file}: not a readable configuration (${(err as Error).message})`);
  }
  return checkFile(raw ?? {}, file);
}

function checkFile(raw: unknown, where: string): PipelineConfigFile {
  const r = FileSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new DisrankerError('DR_ERR_USAGE', `${where}: not a valid pipeline configuration:\n${lines.join('\n')}`);
  }
  return r.data;
}

/** `a.b=value` overrides (value parsed as JSON when it parses, else a string) as a configuration object. */
export function parseSettings(settings: string[]): PipelineConfigFile {
  const out: Record<string, unknown> = {};
  for (const s of settings) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new DisrankerError('DR_ERR_USAGE', `--set ${s}: expected key=value (e.g. distill.beta=0.5)`);
    const path = s.slice(0, eq).split('.');
    const text = s.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let at = out;
    for (const k of path.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]] = value;
  }
  return checkFile(out, `--set ${settings.join(' ')}`);
}

/** The preset (the file's `preset`, else `preset`, else default), then each layer's fields over it. */
export function resolvePipelineConfig(opts: { preset?: string; layers?: PipelineConfigFile[] } = {}): PipelineConfig {
  const layers = opts.layers ?? [];
  const name = opts.preset ?? [...layers].reverse().find((l) => l.preset)?.preset ?? DEFAULT_PIPELINE_PRESET;
  const base = PIPELINE_PRESETS[name];
  if (!base) throw new DisrankerError('DR_ERR_USAGE', `--preset ${name}: expected one of ${Object.keys(PIPELINE_PRESETS).join(', ')}`);
  let cfg = structuredClone(base);
  for (const layer of layers) cfg = merge(cfg, { ...layer, preset: name }) as PipelineConfig;
  return cfg;
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}
