// The command line's options in one typed table (as vitest's CLIOptions): each entry has its flag, its help
// and the parser that validates and converts the raw text. Defaults are never written here: a command passes
// the library's own constant when it adds an option, so `--help` shows the default the code really uses.
import { Option, type Command } from 'commander';
import { DisrankerError } from '../util/errors.js';
import { choice, int, list, MAX_THREADS, nonNegative, positive, rate, seed, type Parser } from '../util/flags.js';
import { MAX_BOOTSTRAP, MAX_PERMUTATIONS } from '../eval/defaults.js';

export { choice, int, list, nonNegative, positive, rate, seed };

export interface OptionSpec<T> {
  flags: string;
  help: string;
  parse?: Parser<T>;
}


/** The option table. Keys are the camelCase names commander gives the parsed values. */
export const OPTIONS = {
  out: { flags: '--out <dir>', help: 'output folder' },
  outFile: { flags: '--out <file>', help: 'file to write' },
  force: { flags: '--force', help: 'replace --out if it is a disranker output' },
  json: { flags: '--json', help: 'print one JSON object' },
  quiet: { flags: '--quiet', help: 'no progress output' },
  seed: { flags: '--seed <n>', help: 'random seed (0 … 2^32−1)', parse: seed },
  preset: { flags: '--preset <name>', help: 'synthetic world size: tiny, small, medium, large' },
  // training
  steps: { flags: '--steps <n>', help: 'optimizer steps', parse: int(1) },
  batchSize: { flags: '--batch-size <n>', help: 'examples per optimizer step (per micro-batch × --grad-accum)', parse: int(1) },
  gradAccum: { flags: '--grad-accum <n>', help: 'micro-batches per optimizer step (gradient accumulation)', parse: int(1) },
  lr: { flags: '--lr <x>', help: 'peak learning rate (warmup, then decay)', parse: positive },
  weightDecay: { flags: '--weight-decay <x>', help: 'AdamW weight decay (not on biases and norms)', parse: nonNegative },
  warmupSteps: { flags: '--warmup-steps <n>', help: 'linear warmup steps', parse: int(0) },
  maxGradNorm: { flags: '--max-grad-norm <x>', help: 'clip the global gradient norm (0 = no clipping)', parse: nonNegative },
  bf16: { flags: '--bf16', help: 'bf16 mixed precision (autocast; fp32 master weights)' },
  skipNonFinite: { flags: '--skip-nonfinite', help: 'skip a step whose loss or gradient is NaN/inf instead of stopping' },
  checkpointEvery: { flags: '--checkpoint-every <n>', help: 'checkpoint every n steps (an interrupted run resumes from it)', parse: int(1) },
  logEvery: { flags: '--log-every <n>', help: 'write a metrics line every n steps', parse: int(1) },
  fresh: { flags: '--fresh', help: 'discard an existing checkpoint of this run and start from step 0' },
  // data
  k: { flags: '--k <n>', help: 'results per query', parse: int(1) },
  k1: { flags: '--k1 <x>', help: 'BM25 k1', parse: nonNegative },
  b: { flags: '--b <x>', help: 'BM25 b', parse: nonNegative },
  tag: { flags: '--tag <tag>', help: 'run tag' },
  split: { flags: '--split <name>', help: 'only the queries of DIR/splits/<name>.txt' },
  judgedOnly: { flags: '--judged-only', help: 'only the judged queries (DIR/qrels.txt)' },
  minDwell: { flags: '--min-dwell <s>', help: 'keep clicks with at least this dwell time in seconds', parse: nonNegative },
  alphaSelf: {
    flags: '--alpha-self <a>',
    help: 'translation LM: weight of self-translation mixed into the learnt t(q|w), 0 … 1',
    parse: (flag: string, raw: string) => {
      const a = nonNegative(flag, raw);
      if (a > 1) throw new DisrankerError('DR_ERR_USAGE', `${flag}: expected 0 ≤ α ≤ 1, got "${raw}"`);
      return a;
    },
  },
  mu: { flags: '--mu <x>', help: 'translation LM: Dirichlet prior μ in words', parse: positive },
  // eval
  permutations: { flags: '--permutations <n>', help: 'rounds of the paired randomization test', parse: int(1, MAX_PERMUTATIONS) },
  bootstrap: { flags: '--bootstrap <n>', help: 'bootstrap resamples for the 95% CI of the difference', parse: int(1, MAX_BOOTSTRAP) },
  alpha: {
    flags: '--alpha <a>',
    help: 'significance level of the marks',
    parse: (flag: string, raw: string) => {
      const a = positive(flag, raw);
      if (a >= 1) throw new DisrankerError('DR_ERR_USAGE', `${flag}: expected 0 < α < 1, got "${raw}"`);
      return a;
    },
  },
  // engine
  jobs: { flags: '--jobs <n>', help: 'jobs run side by side', parse: int(1, MAX_THREADS) },
  threads: { flags: '--threads <n>', help: 'intra-op threads (default: the engine default for this host)', parse: int(1, MAX_THREADS) },
} satisfies Record<string, OptionSpec<unknown>>;

export type OptionName = keyof typeof OPTIONS;

/**
 * Adds the table's option `name` to `cmd`, with `dflt` (a library constant) as its default, shown in --help.
 * `overrides` changes the help or flags for this command only.
 */
export function addOption(cmd: Command, name: OptionName, dflt?: unknown, overrides: Partial<OptionSpec<unknown>> = {}): Command {
  const spec: OptionSpec<unknown> = { ...OPTIONS[name], ...overrides };
  const opt = new Option(spec.flags, spec.help);
  const long = opt.long ?? spec.flags;
  if (spec.parse) {
    const parse = spec.parse;
    opt.argParser((raw: string) => parse(long, raw));
  }
  if (dflt !== undefined) opt.default(dflt, Array.isArray(dflt) ? dflt.join(',') : undefined);
  return cmd.addOption(opt);
}

/** Adds several options: `[name, default?, overrides?]` each. */
export function addOptions(cmd: Command, ...entries: [OptionName, unknown?, Partial<OptionSpec<unknown>>?][]): Command {
  for (const [name, dflt, overrides] of entries) addOption(cmd, name, dflt, overrides);
  return cmd;
}
