// The work behind `disranker data ...` (src/cli/commands/data.ts registers the options and lazily imports this).
import { DisrankerError } from '../../util/errors.js';
import { assertSafeOutput, writeFileAtomic } from '../../util/fs.js';
import { Bm25Index, documentText } from '../../data/bm25.js';
import { openDataset, type Dataset } from '../../data/dataset.js';
import type { ImportOptions, ImportResult } from '../../data/import/common.js';
import { parseLabelRange } from '../../data/schema.js';
import { formatQrels, formatRun, type Run } from '../../data/trec.js';

export const IMPORT_FORMATS = ['trec-dl', 'msmarco', 'rankllm-json', 'wikiqa', 'jsonl'] as const;

function usage(msg: string): never {
  throw new DisrankerError('DR_ERR_USAGE', msg);
}

export async function importCommand(input: string, opts: { format: string; out: string; skipBad?: boolean; force?: boolean; labels?: string; qrels?: string }): Promise<ImportResult> {
  const base: ImportOptions = { out: opts.out, skipBad: opts.skipBad, force: opts.force };
  if (opts.labels) {
    try {
      base.labels = parseLabelRange(opts.labels);
    } catch (err) {
      usage(`--labels: ${(err as Error).message}`);
    }
  }
  let r: ImportResult;
  switch (opts.format) {
    case 'trec-dl':
      r = await (await import('../../data/import/trec-dl.js')).importTrecDl(input, base);
      break;
    case 'msmarco':
      r = await (await import('../../data/import/msmarco.js')).importMsmarco(input, base);
      break;
    case 'rankllm-json':
      r = await (await import('../../data/import/rankllm-json.js')).importRankllmJson(input, { ...base, qrels: opts.qrels });
      break;
    case 'wikiqa':
      r = await (await import('../../data/import/wikiqa.js')).importWikiqa(input, base);
      break;
    case 'jsonl':
      r = await (await import('../../data/import/jsonl.js')).importJsonl(input, base);
      break;
    default:
      usage(`unknown --format "${opts.format}" (choose ${IMPORT_FORMATS.join(', ')})`);
  }
  const report = r.bad.report();
  if (report) console.error(report);
  console.log(`wrote ${opts.out}: ${Object.entries(r.meta.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return r;
}

export async function statsCommand(dir: string, opts: { json?: boolean }): Promise<void> {
  const { formatStats } = await import('../../data/stats.js');
  const { datasetStats } = await import('../../eval/orderings.js');
  const s = await datasetStats(dir);
  console.log(opts.json ? JSON.stringify(s, null, 2) : formatStats(s));
}

export async function synthCommand(opts: { preset: string; seed: number; out: string; force?: boolean; quiet?: boolean }): Promise<void> {
  const { generateSynthetic } = await import('../../data/synth/generate.js');
  const { PRESETS } = await import('../../data/synth/world.js');
  if (!PRESETS[opts.preset]) usage(`unknown --preset "${opts.preset}" (choose ${Object.keys(PRESETS).join(', ')})`);
  const t0 = Date.now();
  const meta = await generateSynthetic({
    preset: opts.preset,
    seed: opts.seed,
    out: opts.out,
    force: opts.force,
    onProgress: opts.quiet || !process.stderr.isTTY ? undefined : (done, total) => process.stderr.write(`\rimpressions ${done}/${total}`),
  });
  if (!opts.quiet && process.stderr.isTTY) process.stderr.write('\n');
  console.log(`wrote ${opts.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(meta.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** The queries a run covers: those of `--split`, and with `--judged-only` the judged ones; undefined: all. */
async function chosenQids(ds: Dataset, opts: { split?: string; judgedOnly?: boolean }): Promise<Set<string> | undefined> {
  const inSplit = await splitQids(ds, opts.split);
  if (!opts.judgedOnly) return inSplit;
  return new Set([...(await ds.qrels()).keys()].filter((q) => !inSplit || inSplit.has(q)));
}

/**
 * Rerank each chosen query's candidates that `known` accepts by `scoreDocs`: the top k per query (ties: docid
 * descending, as trec_eval orders them), scores then rounded to 4 decimals.
 */
async function rerankCandidates(
  ds: Dataset,
  qids: Set<string> | undefined,
  k: number,
  known: (docid: string) => boolean,
  scoreDocs: (query: string, docids: string[]) => number[],
): Promise<Run> {
  const queries = await ds.loadQueries();
  const run: Run = new Map();
  for (const [qid, hits] of await ds.loadCandidates()) {
    const q = queries.get(qid);
    if (!q || (qids && !qids.has(qid))) continue;
    const ids = hits.map((h) => h.docid).filter(known);
    const s = scoreDocs(q.text, ids);
    const ranked = ids.map((d, i) => ({ d, s: s[i] })).sort((a, b) => b.s - a.s || (a.d < b.d ? 1 : -1)).slice(0, k);
    run.set(qid, new Map(ranked.map((x) => [x.d, Math.round(x.s * 1e4) / 1e4])));
  }
  return run;
}

/** BM25 run over a data set: rerank each query's candidates (default) or retrieve top-k from all documents. */
export async function bm25Run(ds: Dataset, opts: { k: number; retrieve?: boolean; k1: number; b: number; split?: string; judgedOnly?: boolean }): Promise<Run> {
  const index = new Bm25Index({ k1: opts.k1, b: opts.b });
  for await (const d of ds.documents()) index.add(d.docid, documentText(d));
  const qids = await chosenQids(ds, opts);
  if (!opts.retrieve) return rerankCandidates(ds, qids, opts.k, (d) => index.has(d), (q, ids) => index.scoreDocs(q, ids));
  const run: Run = new Map();
  for (const q of (await ds.loadQueries()).values()) {
    if (qids && !qids.has(q.qid)) continue;
    run.set(q.qid, new Map(index.search(q.text, opts.k).map((h) => [h.docid, Math.round(h.score * 1e4) / 1e4])));
  }
  return run;
}

export async function bm25Command(dir: string, opts: { out: string; k: number; retrieve?: boolean; k1: number; b: number; split?: string; judgedOnly?: boolean; tag: string }): Promise<void> {
  assertSafeOutput(opts.out, { kind: 'file', inputs: [dir] });
  const ds = await openDataset(dir);
  const run = await bm25Run(ds, opts);
  await writeFileAtomic(opts.out, formatRun(run, opts.tag));
  console.log(`wrote ${opts.out}: ${run.size} queries`);
}

export interface TranslationLmRunOptions {
  k: number;
  alphaSelf: number;
  mu: number;
  minDwell: number;
  split?: string;
  judgedOnly?: boolean;
}

/** Click-trained translation LM run: train on the click log, then rerank each chosen query's candidates. */
export async function translationLmRun(ds: Dataset, opts: TranslationLmRunOptions): Promise<{ run: Run; kept: number; clicks: number }> {
  const { trainTranslationLm } = await import('../../data/translation-lm.js');
  const { model, kept, clicks } = await trainTranslationLm(ds, opts);
  const docs = await ds.loadDocuments();
  const qids = await chosenQids(ds, opts);
  const run = await rerankCandidates(ds, qids, opts.k, (d) => docs.has(d), (q, ids) => ids.map((d) => model.score(q, docs.get(d)!)));
  return { run, kept, clicks };
}

export async function translationLmCommand(dir: string, opts: TranslationLmRunOptions & { out: string; tag: string }): Promise<void> {
  assertSafeOutput(opts.out, { kind: 'file', inputs: [dir] });
  const ds = await openDataset(dir);
  const { run, kept, clicks } = await translationLmRun(ds, opts);
  await writeFileAtomic(opts.out, formatRun(run, opts.tag));
  console.log(`wrote ${opts.out}: ${run.size} queries; trained on ${kept} of ${clicks} clicks (dwell ≥ ${opts.minDwell}s, judged queries left out)`);
}

/** Export a data set's candidate lists as a TREC run, or its (hidden) qrels as TREC qrels. */
export async function exportCommand(dir: string, opts: { what: string; out: string; tag: string }): Promise<void> {
  assertSafeOutput(opts.out, { kind: 'file', inputs: [dir] });
  const ds = await openDataset(dir);
  let text: string;
  if (opts.what === 'candidates') {
    const run: Run = new Map();
    for (const [qid, hits] of await ds.loadCandidates()) run.set(qid, new Map(hits.map((h) => [h.docid, h.score])));
    text = formatRun(run, opts.tag);
  } else if (opts.what === 'qrels' || opts.what === 'hidden-qrels') {
    text = formatQrels(opts.what === 'qrels' ? await ds.qrels() : await ds.hiddenQrels());
  } else {
    usage(`--what must be candidates, qrels or hidden-qrels, got "${opts.what}"`);
  }
  await writeFileAtomic(opts.out, text);
  console.log(`wrote ${opts.out}`);
}

export async function splitCommand(dir: string, opts: { ratios: string; seed: number; allQueries?: boolean }): Promise<void> {
  const { parseRatios, writeSplits } = await import('../../data/sets/split.js');
  const ds = await openDataset(dir);
  const counts = await writeSplits(ds, { ratios: parseRatios(opts.ratios), seed: opts.seed, allQueries: opts.allQueries });
  console.log(`wrote ${dir}/splits: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** train, dev and test are the judged queries' split, as `rerank` takes them (`namedSplit`). */
async function splitQids(ds: Dataset, name: string | undefined): Promise<Set<string> | undefined> {
  if (!name) return undefined;
  const { namedSplit } = await import('../../data/sets/split.js');
  return new Set(await namedSplit(ds, name));
}

export interface BuildOptions {
  out: string;
  split?: string;
  // cpt
  minDwell?: number;
  skipAbove?: boolean;
  lastClick?: boolean;
  dedup?: boolean;
  weight?: 'none' | 'pbm' | 'ipw';
  // groups
  groupSize?: number;
  positiveLabel?: number;
  hardDepth?: number;
  labels?: 'judged' | 'hidden';
  // distill
  candidates?: number;
  unjudgedOnly?: boolean;
  maxQueries?: number;
  seed?: number;
}

export async function buildCommand(kind: 'cpt' | 'groups' | 'distill', dir: string, opts: BuildOptions): Promise<void> {
  assertSafeOutput(opts.out, { kind: 'file', inputs: [dir] });
  const b = await import('../../data/sets/training-sets.js');
  const ds = await openDataset(dir);
  const qids = await splitQids(ds, opts.split);
  switch (kind) {
    case 'cpt': {
      const r = await b.buildCpt(ds, { ...opts, qids });
      const prop = r.pbm ? `; PBM propensity by position: ${r.pbm.propensity.map((p) => p.toFixed(3)).join(' ')}` : '';
      console.log(`wrote ${opts.out}: ${r.records} records from ${r.kept} kept of ${r.clicks} clicks in ${r.impressions} impressions${prop}`);
      return;
    }
    case 'groups': {
      const r = await b.buildGroups(ds, { ...opts, qids });
      console.log(`wrote ${opts.out}: ${r.groups} groups over ${r.queries} queries (${r.skipped} positives without enough negatives skipped)`);
      return;
    }
    case 'distill': {
      const r = await b.buildDistill(ds, { ...opts, qids });
      console.log(`wrote ${opts.out}: ${r.queries} queries, ${r.pairs} (query, candidate) pairs`);
      return;
    }
  }
}
