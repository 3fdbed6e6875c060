// Stage 5: the teacher scores many (query, candidate) pairs, the distillation set of the student.
//
// Work is cut into chunks of `chunkQueries` queries (in the order of the query list); a chunk is scored (batched
// by length inside it), appended to scores.jsonl (`{"qid", "docid", "score"}` per line) and flushed, then the done
// index (scores.done.json: chunks done, the file's length) is rewritten atomically. A job killed at any point
// resumes after its last finished chunk: the file is cut back to the recorded length (dropping a half-written
// chunk), so nothing is scored twice and no line is duplicated. `shard: {index, count}` takes every count-th chunk
// (chunk c goes to shard c mod count); `mergeScoreShards` joins the shard files in the query-list order, byte for
// byte the file an unsharded run writes, since every chunk is scored with the same batches either way.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset, type Dataset } from '../data/dataset.js';
import { namedSplit } from '../data/sets/split.js';
import { BertForSequenceClassification } from '../models/bert.js';
import { loadHfModel } from '../models/hf.js';
import { LlamaForCausalLM } from '../models/llama.js';
import { scorePairs } from '../models/score.js';
import { loadTokenizer, type QueryDocument } from '../text/index.js';
import { canonicalJson } from '../train/checkpoint.js';
import { DisrankerError } from '../util/errors.js';
import { assertSafeOutput, markRunFolder, writeFileAtomicSync } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { TEACHER_SCORE_DEFAULTS } from './defaults.js';

export interface TeacherScoreOptions {
  /** a ranking model folder (decoder with a score head, or a BERT cross-encoder) */
  model: string;
  data: string;
  /** the output folder: scores.jsonl (or scores.shard-I-of-N.jsonl) and its done index */
  out: string;
  /** `clicks` (the click-log queries, not judged: the default), `judged`, `all`, or a split name */
  queries?: string;
  /** candidates per query (the top of each list; default all) */
  candidates?: number;
  shard?: { index: number; count: number };
  batchSize?: number;
  maxLength?: number;
  bf16?: boolean;
  chunkQueries?: number;
}

export interface TeacherScoreResult {
  file: string;
  queries: number;
  pairs: number;
  /** chunks scored by this call (a resumed job skips those already done) */
  scoredChunks: number;
  skippedChunks: number;
  seconds: number;
  pairs_per_s: number;
}

interface DoneIndex {
  format: 'disranker.scores';
  config: Record<string, unknown>;
  chunks: number;
  bytes: number;
  pairs: number;
  /** lines written per chunk, in order (how a merge cuts a shard file back into its chunks) */
  chunkPairs: number[];
  /** the chunks this job (shard) has in all */
  chunksTotal: number;
}

export function scoresFile(out: string, shard?: { index: number; count: number }): string {
  return join(out, shard && shard.count > 1 ? `scores.shard-${shard.index}-of-${shard.count}.jsonl` : 'scores.jsonl');
}

async function queryList(ds: Dataset, which: string): Promise<string[]> {
  const candidates = await ds.loadCandidates();
  const all = [...candidates.keys()];
  if (which === 'all') return all;
  const judged = await ds.qrels();
  if (which === 'clicks') return all.filter((q) => !judged.has(q));
  if (which === 'judged') return all.filter((q) => judged.has(q));
  return namedSplit(ds, which);
}

export async function teacherScoreStage(opts: TeacherScoreOptions, reporter: Reporter = silentReporter): Promise<TeacherScoreResult> {
  const which = opts.queries ?? TEACHER_SCORE_DEFAULTS.queries;
  const chunkQ = opts.chunkQueries ?? TEACHER_SCORE_DEFAULTS.chunkQueries;
  const shard = opts.shard ?? { index: 0, count: 1 };
  if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new DisrankerError('DR_ERR_USAGE', `--shard: expected i/n with 0 ≤ i < n, got ${shard.index}/${shard.count}`);
  }
  const ds = await openDataset(opts.data);
  const qids = await queryList(ds, which);
  const candidates = await ds.loadCandidates();
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const chunks: string[][] = [];
  for (let i = 0; i < qids.length; i += chunkQ) chunks.push(qids.slice(i, i + chunkQ));
  const mine = chunks.map((c, i) => ({ c, i })).filter(({ i }) => i % shard.count === shard.index);

  const modelHash = createHash('sha256');
  for (const f of ['config.json', 'model.safetensors']) if (existsSync(join(opts.model, f))) modelHash.update(readFileSync(join(opts.model, f)));
  const config = {
    model: { path: opts.model, sha256: modelHash.digest('hex') },
    data: { path: opts.data, queries: which, query_list_sha256: createHash('sha256').update(qids.join('\n')).digest('hex'), candidates: opts.candidates ?? null },
    shard,
    chunk_queries: chunkQ,
    batch_size: opts.batchSize ?? TEACHER_SCORE_DEFAULTS.batchSize,
    max_length: opts.maxLength ?? TEACHER_SCORE_DEFAULTS.maxLength,
    bf16: Boolean(opts.bf16),
  };
  assertSafeOutput(opts.out, { force: true, inputs: [opts.data, opts.model] });
  markRunFolder(opts.out, { job: 'teacher score' });
  const file = scoresFile(opts.out, shard);
  const doneFile = `${file}.done.json`;
  let done: DoneIndex = { format: 'disranker.scores', config, chunks: 0, bytes: 0, pairs: 0, chunkPairs: [], chunksTotal: mine.length };
  if (existsSync(doneFile)) {
    let saved: DoneIndex;
    try {
      saved = JSON.parse(readFileSync(doneFile, 'utf8')) as DoneIndex;
    } catch (err) {
      throw new DisrankerError('DR_ERR_FILE', `${doneFile}: not a readable done index (${(err as Error).message}); remove ${file} and it to start afresh`);
    }
    if (canonicalJson(saved.config) !== canonicalJson(config)) {
      throw new DisrankerError('DR_ERR_USAGE', `${file} was scored with other settings (model, data, queries, shard or batching); remove it and ${doneFile}, or choose another --out`);
    }
    done = saved;
    if (!existsSync(file) || statSync(file).size < done.bytes) throw new DisrankerError('DR_ERR_FILE', `${file}: shorter than its done index says (${done.bytes} bytes); remove it and ${doneFile} to start afresh`);
    truncateSync(file, done.bytes); // drop a chunk cut by the kill
    if (done.chunks > 0) reporter.info(`resuming: ${done.chunks} of ${mine.length} chunks already scored in ${file}`);
  } else if (existsSync(file)) {
    throw new DisrankerError('DR_ERR_USAGE', `${file} exists without its done index ${doneFile}; remove it or choose another --out`);
  } else writeFileAtomicSync(file, '');

  const skippedChunks = done.chunks;
  const { model } = loadHfModel(opts.model);
  const t0 = performance.now();
  let pairs = 0;
  try {
    if (model instanceof LlamaForCausalLM && !model.score) throw new DisrankerError('DR_ERR_MODEL', `${opts.model}: a decoder without a score head cannot score; fine-tune it first (disranker teacher sft)`);
    if (!(model instanceof LlamaForCausalLM) && !(model instanceof BertForSequenceClassification)) throw new DisrankerError('DR_ERR_MODEL', `${opts.model}: not a ranking model`);
    model.eval();
    const tok = loadTokenizer(opts.model);
    const total = mine.reduce((s, { c }) => s + c.length, 0);
    reporter.info(`scoring the candidates of ${total} queries (${which}${shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : ''}) with ${opts.model} into ${file}`);
    const bar = reporter.progress('scoring', mine.length, done.chunks);
    const fd = openSync(file, 'a');
    try {
      for (let k = done.chunks; k < mine.length; k++) {
        const rows: { qid: string; docid: string; item: QueryDocument }[] = [];
        for (const qid of mine[k].c) {
          const q = queries.get(qid);
          if (!q) continue;
          const hits = candidates.get(qid) ?? [];
          for (const h of opts.candidates ? hits.slice(0, opts.candidates) : hits) {
            const d = docs.get(h.docid);
            if (d) rows.push({ qid, docid: h.docid, item: { query: q.text, title: d.title, summary: d.summary } });
          }
        }
        const { scores } = scorePairs(model, tok, rows.map((r) => r.item), { batchSize: config.batch_size, maxLength: config.max_length, bf16: config.bf16 });
        const text = rows.map((r, i) => `{"qid":${JSON.stringify(r.qid)},"docid":${JSON.stringify(r.docid)},"score":${scores[i]}}\n`).join('');
        const buf = Buffer.from(text, 'utf8');
        writeSync(fd, buf);
        fsyncSync(fd);
        done = { ...done, chunks: k + 1, bytes: done.bytes + buf.length, pairs: done.pairs + rows.length, chunkPairs: [...done.chunkPairs, rows.length] };
        writeFileAtomicSync(doneFile, JSON.stringify(done));
        pairs += rows.length;
        bar.update(k + 1, { pairs: done.pairs });
      }
    } finally {
      closeSync(fd);
      bar.stop();
    }
  } finally {
    model.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    file,
    queries: mine.reduce((s, { c }) => s + c.length, 0),
    pairs: done.pairs,
    scoredChunks: mine.length - skippedChunks,
    skippedChunks,
    seconds,
    pairs_per_s: pairs / Math.max(1e-9, seconds),
  };
}

/**
 * Joins the shard files of a sharded scoring job (all `count` shards, each complete) into OUT/scores.jsonl, in the
 * order an unsharded job writes (chunk by chunk).
 */
export function mergeScoreShards(out: string, count: number): { file: string; pairs: number } {
  const shards = Array.from({ length: count }, (_, i) => {
    const file = scoresFile(out, { index: i, count });
    const doneFile = `${file}.done.json`;
    if (!existsSync(file) || !existsSync(doneFile)) throw new DisrankerError('DR_ERR_FILE', `${file}: shard ${i} of ${count} is missing (or its done index)`);
    const done = JSON.parse(readFileSync(doneFile, 'utf8')) as DoneIndex;
    if (done.chunks !== done.chunksTotal) throw new DisrankerError('DR_ERR_FILE', `${file}: shard ${i} is unfinished (${done.chunks} of ${done.chunksTotal} chunks); run it to the end first`);
    const lines = readFileSync(file, 'utf8').split('\n').slice(0, done.pairs);
    const chunks: string[][] = [];
    let at = 0;
    for (const n of done.chunkPairs) {
      chunks.push(lines.slice(at, at + n));
      at += n;
    }
    return { file, done, chunks };
  });
  const total = shards[0].done.config.data as { query_list_sha256: string };
  for (const s of shards) {
    if ((s.done.config.data as { query_list_sha256: string }).query_list_sha256 !== total.query_list_sha256) {
      throw new DisrankerError('DR_ERR_FILE', `${s.file}: scored another query list than shard 0; the shards do not belong together`);
    }
  }
  // chunk c of the whole job is chunk floor(c / count) of shard c mod count
  const parts: string[] = [];
  for (let c = 0; ; c++) {
    const s = shards[c % count];
    const k = Math.floor(c / count);
    if (k >= s.chunks.length) break;
    for (const l of s.chunks[k]) parts.push(l + '\n');
  }
  const file = join(out, 'scores.jsonl');
  writeFileAtomicSync(file, parts.join(''));
  return { file, pairs: parts.length };
}
