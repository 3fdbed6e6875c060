// `disranker bench tokenizer` (this script: `node --import tsx bench/tokenizer.ts [--help]`): throughput of BERT cross-encoder pair encoding (query + passage,
// truncated and padded to 128 tokens, in batches). Tokenizer: bert-base-uncased from
// test/fixtures, else a WordPiece vocabulary trained on generated text. Text: the
// TREC DL 2019 BM25 top-100 (real MS MARCO queries and passages) when present, else generated text.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePairs, loadTokenizer, tokenizerFromJson, trainWordPiece, type QueryDocument, type TextTokenizer } from '../src/text/index.js';
import { sampleDocuments } from '../src/text/sample-text.js';
import { intFlag, positiveFlag } from '../src/util/flags.js';
import { benchArgs, isMain, runMain } from './util.js';

export interface BenchTokenizerOptions {
  json?: boolean;
  /** Tokenizer folder (tokenizer.json). Default: the bert-base-uncased fixture, else a trained one. */
  tokenizer?: string;
  /** Pairs per batch (TOKENIZER_FLAGS has the defaults). */
  batch: string;
  /** Max length. */
  seq: string;
  /** Seconds to time. */
  seconds: string;
}

const SHARED = process.env.DISRANKER_SHARED ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');

function pickTokenizer(opts: BenchTokenizerOptions): { tok: TextTokenizer; source: string } {
  if (opts.tokenizer) return { tok: loadTokenizer(opts.tokenizer), source: opts.tokenizer };
  const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'tokenizers', 'bert-base-uncased');
  if (existsSync(join(fixture, 'tokenizer.json'))) return { tok: loadTokenizer(fixture), source: 'bert-base-uncased (test/fixtures)' };
  const trained = trainWordPiece(sampleDocuments(10000, 20, 80), { vocabSize: 30522 });
  return { tok: tokenizerFromJson(trained.tokenizer, trained.config), source: 'WordPiece trained on generated text' };
}

function pickPairs(): { pairs: QueryDocument[]; source: string } {
  const file = join(SHARED, 'data', 'trec-dl19', 'bm25-top100.json');
  if (existsSync(file)) {
    const runs = JSON.parse(readFileSync(file, 'utf8')) as Array<{ query: string; hits: Array<{ content: string }> }>;
    const pairs = runs.flatMap((r) => r.hits.map((h) => ({ query: r.query, summary: h.content })));
    return { pairs, source: 'TREC DL19 BM25 top-100 (../shared/data)' };
  }
  const queries = [...sampleDocuments(200, 2, 8, { seed: 2 })];
  const passages = [...sampleDocuments(4000, 40, 90, { seed: 3 })];
  return { pairs: passages.map((p, i) => ({ query: queries[i % queries.length], summary: p })), source: 'generated text' };
}

export async function benchTokenizer(opts: BenchTokenizerOptions): Promise<Record<string, unknown>> {
  const B = intFlag('--batch', opts.batch, 1);
  const T = intFlag('--seq', opts.seq, 8);
  const seconds = positiveFlag('--seconds', opts.seconds);
  const { tok, source: tokenizerSource } = pickTokenizer(opts);
  const { pairs, source: textSource } = pickPairs();
  const batches: QueryDocument[][] = [];
  for (let i = 0; i + B <= pairs.length; i += B) batches.push(pairs.slice(i, i + B));

  // One untimed pass over everything (JIT warm-up); it also gives the token statistics.
  let real = 0;
  let full = 0;
  for (const batch of batches) {
    const enc = encodePairs(tok, batch, { maxLength: T, padding: 'max_length' });
    for (const n of enc.lengths) {
      real += n;
      if (n === T) full++;
    }
  }
  const warmPairs = batches.length * B;

  let done = 0;
  let k = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    encodePairs(tok, batches[k++ % batches.length], { maxLength: T, padding: 'max_length' });
    done += B;
    elapsed = performance.now() - t0;
  }
  const result = {
    bench: 'tokenizer',
    task: 'BERT pair encoding ([CLS] query [SEP] passage [SEP]), truncate + pad to max_length',
    pairs_per_s: Math.round((done / elapsed) * 1000),
    tokens_per_s: Math.round(((done * real) / warmPairs / elapsed) * 1000),
    us_per_pair: Number(((elapsed * 1000) / done).toFixed(2)),
    batch: B,
    max_length: T,
    pairs_timed: done,
    seconds: Number((elapsed / 1000).toFixed(2)),
    mean_tokens_per_pair: Number((real / warmPairs).toFixed(1)),
    truncated_fraction: Number((full / warmPairs).toFixed(3)),
    distinct_pairs: warmPairs,
    tokenizer: tokenizerSource,
    text: textSource,
    threads: 1,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
  if (opts.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`BERT pair encoding at ${T} tokens, batch ${B}: ${result.pairs_per_s} pairs/s (${result.us_per_pair} µs/pair)`);
    console.log(`  ${result.mean_tokens_per_pair} real tokens/pair, ${(result.truncated_fraction * 100).toFixed(1)}% truncated`);
    console.log(`  tokenizer: ${tokenizerSource}; text: ${textSource}; ${result.cpu}, node ${process.version}`);
  }
  return result;
}

export const TOKENIZER_FLAGS = {
  tokenizer: { type: 'string', help: 'tokenizer folder (default: bert-base-uncased from test/fixtures, else one trained on generated text)' },
  batch: { type: 'string', default: '32', help: 'pairs per batch' },
  seq: { type: 'string', default: '128', help: 'max length in tokens' },
  seconds: { type: 'string', default: '3', help: 'seconds to time' },
  json: { type: 'boolean', help: 'print one JSON object' },
} as const;

if (isMain(import.meta.url)) {
  await runMain(() => benchTokenizer(benchArgs('disranker bench tokenizer: time BERT pair encoding (query + passage, truncated and padded to --seq tokens)', TOKENIZER_FLAGS)));
}
