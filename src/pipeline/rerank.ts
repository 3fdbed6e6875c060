// Rerank a data set's candidate lists with any ranking model folder (a decoder with a score head, a BERT
// cross-encoder) and write a TREC run. Pairs are batched by length; throughput is reported. BM25 over the same
// candidate lists (the baseline every model must beat) is here too.
import { Bm25Index, documentText } from '../data/bm25.js';
import { openDataset, type Dataset } from '../data/dataset.js';
import { namedSplit } from '../data/sets/split.js';
import { formatRun, type Run } from '../data/trec.js';
import { BertForSequenceClassification } from '../models/bert.js';
import { loadHfModel } from '../models/hf.js';
import { LlamaForCausalLM } from '../models/llama.js';
import { scorePairs } from '../models/score.js';
import { loadTokenizer, type QueryDocument } from '../text/index.js';
import { DisrankerError } from '../util/errors.js';
import { assertSafeOutput, writeFileAtomicSync } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { RERANK_DEFAULTS } from './defaults.js';

export interface RerankOptions {
  model: string;
  data: string;
  /** train, dev, test (the judged queries' split), `judged` (every judged query) or `all` (every candidate list) */
  split?: string;
  /** the TREC run to write */
  out: string;
  tag?: string;
  batchSize?: number;
  maxLength?: number;
  bf16?: boolean;
}

export interface RerankResult {
  out: string;
  queries: number;
  pairs: number;
  seconds: number;
  pairs_per_s: number;
  ms_per_100: number;
  padded_fraction: number;
}

/** The query ids of `split`: train, dev, test (the judged queries' split), judged, all, or a name in DIR/splits. */
export async function splitQueries(ds: Dataset, split: string, candidates?: Map<string, unknown>): Promise<string[]> {
  if (split === 'all') return [...(candidates ?? (await ds.loadCandidates())).keys()];
  if (split === 'judged') return [...(await ds.qrels()).keys()];
  return namedSplit(ds, split);
}

/**
 * BM25 (title + summary, src/data/bm25.ts) over the candidate lists of `qids`: the documents of the whole data set
 * make the index statistics. Like a model's run, it leaves out a query without text or without a known candidate.
 */
export async function bm25CandidateRun(ds: Dataset, qids: string[]): Promise<Run> {
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const candidates = await ds.loadCandidates();
  const bm25 = new Bm25Index();
  for (const d of docs.values()) bm25.add(d.docid, documentText(d));
  const run: Run = new Map();
  for (const qid of qids) {
    const q = queries.get(qid);
    const ids = (candidates.get(qid) ?? []).filter((h) => docs.has(h.docid)).map((h) => h.docid);
    if (!q || ids.length === 0) continue;
    const s = bm25.scoreDocs(q.text, ids);
    run.set(qid, new Map(ids.map((d, i) => [d, s[i]])));
  }
  return run;
}

export async function rerankStage(opts: RerankOptions, reporter: Reporter = silentReporter): Promise<RerankResult> {
  const split = opts.split ?? RERANK_DEFAULTS.split;
  assertSafeOutput(opts.out, { kind: 'file', inputs: [opts.data, opts.model] });
  const ds = await openDataset(opts.data);
  const candidates = await ds.loadCandidates();
  const qids = await splitQueries(ds, split, candidates);
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const flat: { qid: string; docid: string; item: QueryDocument }[] = [];
  for (const qid of qids) {
    const q = queries.get(qid);
    if (!q) continue;
    for (const h of candidates.get(qid) ?? []) {
      const d = docs.get(h.docid);
      if (d) flat.push({ qid, docid: h.docid, item: { query: q.text, title: d.title, summary: d.summary } });
    }
  }
  const { model } = loadHfModel(opts.model);
  try {
    if (model instanceof LlamaForCausalLM && !model.score) {
      throw new DisrankerError('DR_ERR_MODEL', `${opts.model}: a decoder without a score head cannot rerank; fine-tune it first (disranker teacher sft)`);
    }
    if (!(model instanceof LlamaForCausalLM) && !(model instanceof BertForSequenceClassification)) throw new DisrankerError('DR_ERR_MODEL', `${opts.model}: not a ranking model`);
    model.eval();
    const tok = loadTokenizer(opts.model);
    reporter.info(`reranking ${flat.length} (query, candidate) pairs of ${qids.length} ${split} queries with ${opts.model}`);
    const { scores, stats } = scorePairs(model, tok, flat.map((f) => f.item), { batchSize: opts.batchSize ?? RERANK_DEFAULTS.batchSize, maxLength: opts.maxLength ?? RERANK_DEFAULTS.maxLength, bf16: opts.bf16 });
    const run: Run = new Map();
    flat.forEach((f, i) => {
      if (!run.has(f.qid)) run.set(f.qid, new Map());
      run.get(f.qid)!.set(f.docid, scores[i]);
    });
    writeFileAtomicSync(opts.out, formatRun(run, opts.tag ?? 'disranker'));
    return {
      out: opts.out,
      queries: run.size,
      pairs: flat.length,
      seconds: stats.seconds,
      pairs_per_s: flat.length / stats.seconds,
      ms_per_100: (stats.seconds * 1000 * 100) / Math.max(1, flat.length),
      padded_fraction: stats.paddedTokens / Math.max(1, stats.tokens),
    };
  } finally {
    model.dispose();
  }
}
