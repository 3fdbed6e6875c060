// The evaluation defaults, written once: the library uses them and the CLI shows them in --help.
export const DEFAULT_METRICS = 'ndcg_cut_10,map,recip_rank,P_10,recall_100,pnr';
/** seed of the permutation test and the bootstrap */
export const DEFAULT_SEED = 42;
export const DEFAULT_PERMUTATIONS = 10_000;
export const DEFAULT_BOOTSTRAP = 10_000;
/** significance level of the marks in reports */
export const DEFAULT_ALPHA = 0.05;

export const EVAL_DEFAULTS = {
  metrics: DEFAULT_METRICS,
  relevanceLevel: 1,
  seed: DEFAULT_SEED,
  permutations: DEFAULT_PERMUTATIONS,
  bootstrap: DEFAULT_BOOTSTRAP,
  alpha: DEFAULT_ALPHA,
} as const;

/** Most rounds of the permutation test (p-values resolve to 1e-6; time grows as rounds × queries). */
export const MAX_PERMUTATIONS = 1_000_000;
/** Most bootstrap resamples (each keeps one float64 mean: 8 MB at the limit). */
export const MAX_BOOTSTRAP = 1_000_000;
