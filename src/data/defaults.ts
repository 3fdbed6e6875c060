// The data commands' defaults, written once, in a file that imports nothing: the CLI reads them at start-up
// (for --help) without loading the data layer.

/** The defaults of the CPT corpus filter, written once. */
export const CPT_SET_DEFAULTS = { minDwell: 0, skipAbove: false, lastClick: false, dedup: true, weight: 'none' as 'none' | 'pbm' | 'ipw' };
/** The defaults of SFT ranking groups. */
export const GROUP_DEFAULTS = { groupSize: 8, hardDepth: 30, seed: 1, labels: 'judged' as 'judged' | 'hidden' };
/** The defaults of distillation sets. */
export const DISTILL_SET_DEFAULTS = { candidates: 20, seed: 1 };
/** The defaults of `data split`, written once. */
export const SPLIT_DEFAULTS = { ratios: '0.7,0.1,0.2', seed: 1 };
/** The defaults of `data synth`, written once. */
export const SYNTH_DEFAULTS = { preset: 'small', seed: 1 };
/** The defaults of the click-trained translation language model (src/data/translation-lm.ts), written once. */
export const TRANSLATION_LM_DEFAULTS = {
  /** α_self: weight of self-translation mixed into the learnt t(q|w) */
  alphaSelf: 0.5,
  /** μ: Dirichlet prior in words (a document's title + summary: ~17 index terms in the small synthetic world) */
  mu: 100,
  /** seconds: the teacher's CPT default (pipeline/defaults.ts CPT_DEFAULTS.minDwell); shorter clicks are misclicks */
  minDwell: 10,
  /** results per query */
  k: 100,
};
