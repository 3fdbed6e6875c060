// The generation defaults, written once, in a file that imports nothing: the CLI reads them at start-up.

/** The defaults of generation, written once (the CLI shows them). */
export const GENERATE_DEFAULTS = { maxNewTokens: 32, topK: 1, temperature: 1, seed: 0 };
/** Most new tokens per prompt (each step re-runs the whole sequence). */
export const MAX_NEW_TOKENS = 4096;
