// Tokenizers and model inputs. Nothing here loads the engine.
export { loadTokenizer, tokenizerFromJson, TextTokenizer, SPECIAL_ROLES } from './tokenizer.js';
export type { LoadTokenizerOptions, SpecialOverrides, SpecialRole, SpecialToken, TemplateItem, TokenizerSources } from './tokenizer.js';
export { encodePair, encodePairs, documentText } from './pair.js';
export type { PairEncodingOptions, PairRow, QueryDocument } from './pair.js';
export { encodeRankingInputs, encodeCptExamples, RANKLLAMA_TEMPLATE } from './ranking.js';
export type { DecoderEncodingOptions } from './ranking.js';
export { padBatch, toRows, lastMaskedIndex, IGNORE_INDEX } from './batch.js';
export type { EncodedBatch, EncodedRow, PaddingOptions, PaddingSide, PaddingStrategy } from './batch.js';
export { trainWordPiece, trainByteLevelBpe, saveTrainedTokenizer } from './train.js';
export type { BpeTrainOptions, TrainedTokenizer, WordPieceTrainOptions } from './train.js';
export { ReferenceEncoder } from './reference.js';
export type { TokenizerJson } from './tokenizer-json.js';
export { maskTokens, MLM_DEFAULTS, type MlmOptions } from './mlm.js';
