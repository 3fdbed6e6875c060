// The data layer's public API: data set folders, records and their schemas, TREC qrels and runs, importers,
// the synthetic world, BM25, the click-trained translation LM, and the training sets built from a data set.
// Never loads the engine.
export { openDataset, Dataset, DatasetWriter, LAYOUT } from './dataset.js';
export * from './schema.js';
export { parseQrels, parseRun, readQrels, readRun, readHitsJson, formatQrels, formatRun, runFromHits, type Qrels, type Run } from './trec.js';
export { readJsonl, readLines, withLineWriter, BadLines } from './io.js';
export { Bm25Index, BM25_DEFAULTS, documentText, type Bm25Params } from './bm25.js';
export { TranslationLm, trainTranslationLm, TRANSLATION_LM_DEFAULTS, UNSEEN_COUNT, type TranslationLmParams } from './translation-lm.js';
export { importTrecDl } from './import/trec-dl.js';
export { importMsmarco } from './import/msmarco.js';
export { importRankllmJson } from './import/rankllm-json.js';
export { importWikiqa } from './import/wikiqa.js';
export { importJsonl } from './import/jsonl.js';
export type { ImportOptions, ImportResult } from './import/common.js';
export { generateSynthetic, SYNTH_DEFAULTS, type SynthOptions } from './synth/generate.js';
export { PRESETS, type Preset } from './synth/world.js';
export { computeStats, formatStats, relevantLabel, type DatasetStats } from './stats.js';
export * from './sets/training-sets.js';
export { splitQueries, writeSplits, parseRatios, SPLIT_DEFAULTS, SPLIT_NAMES } from './sets/split.js';
export { estimatePbm, type PbmModel } from './sets/click-model.js';
