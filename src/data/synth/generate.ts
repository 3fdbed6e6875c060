// `disranker data synth`: write a synthetic world as a complete data set (docs/formats.md, "Synthetic data sets").
//
// Production retrieval (the candidate lists): documents that carry a query concept or its entity (a semantic index),
// plus BM25's top 20, plus a few random documents of the topic; ranked by a noisy "production" score (true utility +
// Gaussian noise + a little BM25). Impressions: a click-log query drawn by Zipf popularity, the candidates re-scored
// with per-impression noise, the top `shown` displayed. Clicks: a position-based model (PBM),
// P(click) = P(examined | position) · P(attractive | grade, snippet); dwell: log-normal with a median that grows with
// the grade. The same seed always gives the same bytes (one seeded PRNG, fixed iteration order, deterministic gzip).
import { Bm25Index, documentText } from '../bm25.js';
import { DatasetWriter, LAYOUT } from '../dataset.js';
import { LABELS_SYNTH, type Meta } from '../schema.js';
import { SYNTH_DEFAULTS } from '../defaults.js';
import { checkSeed, Random, ZipfSampler } from '../../util/random.js';
import type { Qrels } from '../trec.js';
import { PRESETS, buildWorld, grade, utility, type Preset, type World } from './world.js';

/** P(examined | position), position 1.. (PBM examination, ≈ 1/k^0.8). */
export const EXAMINATION = Array.from({ length: 50 }, (_, i) => Math.pow(1 / (i + 1), 0.8));
/** P(attractive | grade 0..4) before the per-document snippet factor. */
export const ATTRACTIVENESS = [0.04, 0.12, 0.3, 0.55, 0.8];
/** Median dwell seconds by grade. */
export const DWELL_MEDIAN = [6, 15, 35, 70, 120];

const PROD_NOISE = 0.25;
const IMPRESSION_NOISE = 0.12;

export interface SynthOptions {
  preset: string;
  seed: number;
  out: string;
  force?: boolean;
  /** Override preset sizes (tests). */
  overrides?: Partial<Preset>;
  /** Progress callback (impressions written so far). */
  onProgress?: (done: number, total: number) => void;
}


export const docId = (i: number): string => `d${i}`;
export const queryId = (i: number): string => `q${i}`;

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

interface CandidateRow {
  doc: number;
  prod: number;
  label: number;
}

/** Candidate lists of every query, best first by the production score. */
export function productionCandidates(world: World, bm25: Bm25Index, rng: Random): CandidateRow[][] {
  const { preset, docs, queries } = world;
  const byConcept = new Map<number, number[]>();
  const byEntity = new Map<number, number[]>();
  const byTopic = new Map<number, number[]>();
  for (const d of docs) {
    for (const c of [...d.main, ...d.side]) {
      let l = byConcept.get(c);
      if (!l) byConcept.set(c, (l = []));
      l.push(d.idx);
    }
    if (d.entity >= 0) {
      let l = byEntity.get(d.entity);
      if (!l) byEntity.set(d.entity, (l = []));
      l.push(d.idx);
    }
    let l = byTopic.get(d.topic);
    if (!l) byTopic.set(d.topic, (l = []));
    l.push(d.idx);
  }
  const out: CandidateRow[][] = [];
  for (const q of queries) {
    const pool = new Set<number>();
    for (const c of q.concepts) for (const d of byConcept.get(c) ?? []) pool.add(d);
    if (q.entity >= 0) for (const d of byEntity.get(q.entity) ?? []) pool.add(d);
    const lexical = bm25.search(q.text, 20);
    const lexScore = new Map<number, number>();
    const maxLex = lexical.length > 0 ? lexical[0].score : 1;
    for (const h of lexical) {
      const i = Number(h.docid.slice(1));
      pool.add(i);
      lexScore.set(i, h.score / maxLex);
    }
    const topicDocs = byTopic.get(q.topic) ?? [];
    for (const d of rng.sample(topicDocs, 5)) pool.add(d);
    while (pool.size < preset.candidates && pool.size < docs.length) pool.add(rng.int(docs.length));
    const rows: CandidateRow[] = [];
    for (const d of [...pool].sort((a, b) => a - b)) {
      const u = utility(q, docs[d]);
      rows.push({ doc: d, prod: u + rng.normal(0, PROD_NOISE) + 0.1 * (lexScore.get(d) ?? 0), label: grade(u) });
    }
    rows.sort((a, b) => b.prod - a.prod || a.doc - b.doc);
    out.push(rows.slice(0, preset.candidates));
  }
  return out;
}

export async function generateSynthetic(opts: SynthOptions): Promise<Meta> {
  const base = PRESETS[opts.preset];
  if (!base) throw new Error(`unknown preset "${opts.preset}" (choose ${Object.keys(PRESETS).join(', ')})`);
  checkSeed('--seed', opts.seed);
  const preset: Preset = { ...base, ...opts.overrides };
  const world = buildWorld(preset, opts.seed);
  const rng = new Random(opts.seed).fork('logs');

  const bm25 = new Bm25Index();
  for (const d of world.docs) bm25.add(docId(d.idx), documentText(d));
  const candidates = productionCandidates(world, bm25, rng.fork('candidates'));

  return DatasetWriter.write(opts.out, { force: opts.force }, async (w) => {
    const dw = w.file(LAYOUT.documents);
    for (const d of world.docs) await dw.write({ docid: docId(d.idx), title: d.title, summary: d.summary, url: d.url });
    const qw = w.file(LAYOUT.queries);
    for (const q of world.queries) await qw.write({ qid: queryId(q.idx), text: q.text, intent: q.intent });
    const cw = w.file(LAYOUT.candidates);
    const hidden: Qrels = new Map();
    const judged: Qrels = new Map();
    for (const q of world.queries) {
      const rows = candidates[q.idx];
      await cw.write({ qid: queryId(q.idx), hits: rows.map((r, i) => ({ docid: docId(r.doc), rank: i + 1, score: round4(r.prod) })) });
      const labels = new Map(rows.map((r) => [docId(r.doc), r.label]));
      hidden.set(queryId(q.idx), labels);
      if (q.judged) judged.set(queryId(q.idx), labels);
    }
    await w.writeQrels(LAYOUT.qrels, judged);
    await w.writeQrels(LAYOUT.hiddenQrels, hidden);
    await w.writeText(
      'hidden-world.json',
      `${JSON.stringify({
        note: 'HIDDEN ground truth of the synthetic world: for analysis only, never for training',
        topics: world.topics.map((t) => ({ name: t.name, concepts: t.concepts.map((c) => world.concepts[c].forms), entities: t.entities.map((e) => world.entities[e].name) })),
      })}\n`,
    );
    const clicks = await writeImpressions(w, world, candidates, rng.fork('impressions'), opts.onProgress);
    return {
      name: `synthetic-${opts.preset}`,
      labels: LABELS_SYNTH,
      provenance: {
        generator: 'disranker data synth',
        preset: opts.preset,
        seed: opts.seed,
        params: preset,
        clickModel: { kind: 'pbm', examination: EXAMINATION.slice(0, preset.shown).map(round4), attractiveness: ATTRACTIVENESS, dwellMedianSeconds: DWELL_MEDIAN },
        hidden: 'hidden-qrels.txt labels every (query, candidate) pair; qrels.txt is the judged subset; hidden-world.json lists the concepts',
      },
      counts: {
        documents: world.docs.length,
        queries: world.queries.length,
        judgedQueries: judged.size,
        candidates: candidates.reduce((s, r) => s + r.length, 0),
        impressions: preset.impressions,
        clicks,
      },
    };
  });
}

async function writeImpressions(
  w: DatasetWriter,
  world: World,
  candidates: CandidateRow[][],
  rng: Random,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const { preset, docs } = world;
  const logQueries = world.queries.filter((q) => !q.judged);
  rng.shuffle(logQueries); // popularity rank is random
  const zipf = new ZipfSampler(logQueries.length, 1.0);
  // JSON of each document's shown fields, computed once: `"docid":…,"title":…,"summary":…,"url":…`.
  const frag = docs.map((d) => JSON.stringify({ docid: docId(d.idx), title: d.title, summary: d.summary, url: d.url }).slice(1, -1));
  // Snippet quality: how attractive the document's summary looks, independent of its relevance.
  const snippet = docs.map(() => 0.75 + 0.5 * rng.next());
  const iw = w.file(LAYOUT.clicks);
  let nClicks = 0;
  const width = String(preset.impressions).length;
  for (let n = 0; n < preset.impressions; n++) {
    const q = logQueries[zipf.draw(rng)];
    const rows = candidates[q.idx];
    const k = Math.min(rows.length, preset.shown * 2);
    const order: { row: CandidateRow; s: number }[] = [];
    for (let i = 0; i < k; i++) order.push({ row: rows[i], s: rows[i].prod + rng.normal(0, IMPRESSION_NOISE) });
    order.sort((a, b) => b.s - a.s || a.row.doc - b.row.doc);
    const parts: string[] = [];
    const shown = Math.min(preset.shown, order.length);
    for (let p = 0; p < shown; p++) {
      const { row } = order[p];
      const examined = rng.next() < EXAMINATION[p];
      const attractive = rng.next() < Math.min(0.98, ATTRACTIVENESS[row.label] * snippet[row.doc]);
      const clicked = examined && attractive;
      let dwell = 0;
      if (clicked) {
        nClicks++;
        dwell = Math.round(DWELL_MEDIAN[row.label] * Math.exp(rng.normal(0, 0.7)) * 10) / 10;
      }
      parts.push(`{"position":${p + 1},${frag[row.doc]},"clicked":${clicked},"dwell":${dwell}}`);
    }
    const id = `i${String(n).padStart(width, '0')}`;
    await iw.writeLine(`{"id":"${id}","qid":"${queryId(q.idx)}","query":${JSON.stringify(q.text)},"results":[${parts.join(',')}]}`);
    if (onProgress && n % 10000 === 0) onProgress(n, preset.impressions);
  }
  return nClicks;
}

export { SYNTH_DEFAULTS };
