// Rank the judged queries' candidates three ways and write each as a TREC run: BM25, the production order that
// produced the click log, and the CPT decoder's likelihood ratio log p(document | query) − log p(document) (what
// CPT learnt, before any ranking fine-tuning).
import { join } from 'node:path';
import { Bm25Index, documentText } from '../data/bm25.js';
import { openDataset } from '../data/dataset.js';
import { formatRun, type Run } from '../data/trec.js';
import { targetNll } from '../models/score.js';
import type { LlamaForCausalLM } from '../models/llama.js';
import type { QueryDocument, TextTokenizer } from '../text/index.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';

/** Pairs per forward pass of the likelihood scorer (bounded memory whatever the candidate lists). */
export const LIKELIHOOD_BATCH = 64;

export interface RankJudgedOptions {
  data: string;
  /** the folder the run files go to */
  out: string;
  model: LlamaForCausalLM;
  tokenizer: TextTokenizer;
  maxLength: number;
}

/** Run name → file, in order: bm25 (the baseline of the comparisons), production, cpt-likelihood. */
export type RunFiles = Record<string, string>;

export async function rankJudgedStage(opts: RankJudgedOptions, reporter: Reporter = silentReporter): Promise<RunFiles> {
  const ds = await openDataset(opts.data);
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const qrels = await ds.qrels();
  const candidates = await ds.loadCandidates();
  reporter.info(`ranking the candidates of ${qrels.size} judged queries`);
  const bm25 = new Bm25Index();
  for (const d of docs.values()) bm25.add(d.docid, documentText(d));
  const runs: Record<string, Run> = { bm25: new Map(), production: new Map(), 'cpt-likelihood': new Map() };
  const item = (query: string, docid: string): QueryDocument => ({ query, title: docs.get(docid)!.title, summary: docs.get(docid)!.summary });
  // log p(document) with an empty query: once per document, though a document is a candidate of several queries.
  const priorIds = [...new Set([...qrels.keys()].flatMap((qid) => (candidates.get(qid) ?? []).map((h) => h.docid)))];
  const priorLl = meanLogLikelihood(opts.model, opts.tokenizer, priorIds.map((d) => item('', d)), opts.maxLength);
  const prior = new Map(priorIds.map((d, k) => [d, priorLl[k]]));
  const bar = reporter.progress('likelihood', qrels.size);
  let done = 0;
  for (const qid of qrels.keys()) {
    const hits = candidates.get(qid) ?? [];
    const q = queries.get(qid)!.text;
    const ids = hits.map((h) => h.docid);
    const b = bm25.scoreDocs(q, ids);
    runs.bm25.set(qid, new Map(ids.map((d, i) => [d, b[i]])));
    runs.production.set(qid, new Map(hits.map((h) => [h.docid, -h.rank])));
    const conditional = meanLogLikelihood(opts.model, opts.tokenizer, ids.map((d) => item(q, d)), opts.maxLength);
    runs['cpt-likelihood'].set(qid, new Map(ids.map((d, i) => [d, conditional[i] - prior.get(d)!])));
    bar.update(++done);
  }
  bar.stop();
  const files: RunFiles = {};
  for (const [name, run] of Object.entries(runs)) {
    files[name] = join(opts.out, `${name}.run`);
    writeFileAtomicSync(files[name], formatRun(run, name));
  }
  return files;
}

/** Mean log-probability per target token of each item's document given its query (CPT's own objective), in batches. */
export function meanLogLikelihood(model: LlamaForCausalLM, tok: TextTokenizer, items: QueryDocument[], maxLength: number): number[] {
  const { nll, tokens } = targetNll(model, tok, items, { maxLength, batch: LIKELIHOOD_BATCH });
  return nll.map((x, i) => -x / Math.max(1, tokens[i]));
}
