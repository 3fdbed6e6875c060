// Stage 2: the decoder's vocabulary, a byte-level BPE trained on the data set's documents and queries. Skipped when
// the folder already holds a tokenizer.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../data/dataset.js';
import { saveTrainedTokenizer, trainByteLevelBpe } from '../text/index.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { TOKENIZER_DEFAULTS } from './defaults.js';

export interface BpeStageOptions {
  /** the data set folder */
  data: string;
  /** the tokenizer folder to write */
  out: string;
  vocabSize?: number;
  lowercase?: boolean;
}

export interface BpeStageResult {
  dir: string;
  trained: boolean;
}

export async function bpeTokenizerStage(opts: BpeStageOptions, reporter: Reporter = silentReporter): Promise<BpeStageResult> {
  if (existsSync(join(opts.out, 'tokenizer.json'))) return { dir: opts.out, trained: false };
  const vocabSize = opts.vocabSize ?? TOKENIZER_DEFAULTS.vocabSize;
  const lowercase = opts.lowercase ?? TOKENIZER_DEFAULTS.lowercase;
  reporter.info(`training a byte-level BPE vocabulary (${vocabSize.toLocaleString('en')} tokens${lowercase ? ', lowercased' : ''})`);
  const ds = await openDataset(opts.data);
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const corpus = function* () {
    for (const d of docs.values()) yield `${d.title} ${d.summary}`;
    for (const q of queries.values()) yield q.text;
  };
  saveTrainedTokenizer(opts.out, trainByteLevelBpe(corpus(), { vocabSize, addPrefixSpace: true, lowercase }));
  return { dir: opts.out, trained: true };
}
