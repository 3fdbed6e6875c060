// The main job on the embedded default data, until the full CPT → SFT → teacher → distillation pipeline lands:
//   1. generate the synthetic web-search world (click log + human-judged queries);
//   2. train a WordPiece vocabulary on it;
//   3. train a small BERT cross-encoder from scratch on the click log (listwise softmax over each result page);
//   4. rerank the judged queries' candidates and evaluate against the human labels, next to BM25 and the
//      production ranker that produced the click log.
// Each stage is skipped when its output is already there, so an interrupted run resumes.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { openDataset } from '../data/dataset.js';
import { generateSynthetic } from '../data/synth/generate.js';
import { Bm25Index, documentText as bm25Text } from '../data/bm25.js';
import { formatRun, type Run } from '../data/trec.js';
import { Random } from '../data/random.js';
import type { Impression } from '../data/schema.js';
import { evalCommand } from '../eval/run-eval.js';
import { encodePairs, loadTokenizer, saveTrainedTokenizer, trainWordPiece, type TextTokenizer } from '../text/index.js';
import { manualSeed, noGrad, saveSafetensors, tensor, tidy, type Tensor } from '../engine/index.js';
import { BertForSequenceClassification, bertConfig } from '../models/bert.js';
import { AdamW } from '../train/optimizer.js';
import { lrFactor } from '../train/schedule.js';
import { listwiseSoftmaxLoss } from '../train/losses/listwise-softmax.js';
import { writeFileAtomicSync } from '../util/fs.js';

export interface DemoOptions {
  out: string;
  seed: number;
  preset?: string;
  steps?: number;
  lr?: number;
  /** what to learn from: 'clicks' (the click log) or 'hidden' (the synthetic world's true labels of click-log queries) */
  labels?: 'clicks' | 'hidden';
}

const MAX_LEN = 64;
const PAGES_PER_BATCH = 4;

export async function runDemo(opts: DemoOptions): Promise<void> {
  const preset = opts.preset ?? 'small';
  const steps = opts.steps ?? 600;
  const dataDir = join(opts.out, 'data');
  const tokDir = join(opts.out, 'tokenizer');
  const modelDir = join(opts.out, 'model');
  mkdirSync(opts.out, { recursive: true });
  const t0 = performance.now();
  const log = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

  // 1. data
  if (!existsSync(join(dataDir, 'meta.json'))) {
    log(`generating the synthetic web-search world (preset ${preset}, seed ${opts.seed}) in ${dataDir}`);
    await generateSynthetic({ preset, seed: opts.seed, out: dataDir });
  } else log(`using the data set in ${dataDir}`);
  const ds = await openDataset(dataDir);
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const qrels = await ds.qrels();
  const candidates = await ds.loadCandidates();
  const hidden = opts.labels === 'hidden' ? await ds.hiddenQrels() : undefined;
  const pages: Impression[] = [];
  for await (const imp of ds.impressions()) if (imp.results.some((r) => r.clicked) && !qrels.has(imp.qid)) pages.push(imp);
  log(`${docs.size} documents, ${queries.size} queries (${qrels.size} judged), ${pages.length} result pages with clicks`);

  // 2. vocabulary
  if (!existsSync(join(tokDir, 'tokenizer.json'))) {
    log('training a WordPiece vocabulary (8,000 tokens)');
    const corpus = function* () {
      for (const d of docs.values()) yield `${d.title} ${d.summary}`;
      for (const q of queries.values()) yield q.text;
    };
    saveTrainedTokenizer(tokDir, trainWordPiece(corpus(), { vocabSize: 8000 }));
  }
  const tok = loadTokenizer(tokDir);

  // 3. train on clicks
  manualSeed(opts.seed);
  const config = bertConfig({
    vocab_size: tok.vocabSize,
    hidden_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 512,
    max_position_embeddings: MAX_LEN,
  });
  const model = new BertForSequenceClassification(config);
  const opt = AdamW.forModule(model, { lr: opts.lr ?? 2e-3, weightDecay: 0.01 });
  const schedule = { kind: 'linear' as const, warmupSteps: Math.round(steps * 0.1), totalSteps: steps };
  const rng = new Random(opts.seed).fork('demo-batches');
  log(`training a BERT cross-encoder (L2 H128, ${(model.numParameters() / 1e6).toFixed(2)}M parameters) for ${steps} steps on clicks`);
  const bar = new SingleBar({ format: '  train [{bar}] {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic);
  const showBar = process.stdout.isTTY;
  if (showBar) bar.start(steps, 0, { loss: '-' });
  let ema = NaN;
  const losses: number[] = [];
  model.train();
  for (let step = 0; step < steps; step++) {
    opt.setLrFactor(lrFactor(schedule, step));
    const batch = Array.from({ length: PAGES_PER_BATCH }, () => pages[rng.int(pages.length)]);
    if (opts.labels === 'hidden') {
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        const hits = rng.sample(candidates.get(p.qid)!, 10);
        batch[i] = { ...p, results: hits.map((h, k) => ({ position: k + 1, docid: h.docid, title: docs.get(h.docid)!.title, summary: docs.get(h.docid)!.summary, url: '', clicked: false, dwell: 0, label: hidden!.get(p.qid)?.get(h.docid) ?? 0 })) } as Impression;
      }
    }
    const loss = tidy(() => {
      const G = Math.min(...batch.map((p) => p.results.length));
      const pairs = batch.flatMap((p) => p.results.slice(0, G).map((r) => ({ query: p.query, title: r.title, summary: r.summary })));
      const clicks = batch.flatMap((p) => p.results.slice(0, G).map((r) => (opts.labels === 'hidden' ? 2 ** (r as { label?: number }).label! - 1 : r.clicked ? 1 : 0)));
      const scores = scorePairs(model, tok, pairs).view(batch.length, G);
      const l = listwiseSoftmaxLoss(scores, tensor(clicks, { shape: [batch.length, G] }));
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
    losses.push(loss);
    ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
    if (showBar) bar.update(step + 1, { loss: ema.toFixed(4) });
    else if ((step + 1) % 100 === 0) log(`  step ${step + 1}/${steps}: loss ${ema.toFixed(4)}`);
  }
  if (showBar) bar.stop();
  model.eval();
  mkdirSync(modelDir, { recursive: true });
  saveSafetensors(join(modelDir, 'model.safetensors'), model.stateDict(), { format: 'pt' });
  writeFileAtomicSync(join(modelDir, 'config.json'), JSON.stringify({ architectures: ['BertForSequenceClassification'], model_type: 'bert', ...config }, null, 2) + '\n');

  // 4. evaluate on the human-judged queries
  log(`reranking the candidates of ${qrels.size} judged queries`);
  const bm25 = new Bm25Index();
  for (const d of docs.values()) bm25.add(d.docid, bm25Text(d));
  const runs: Record<string, Run> = { bm25: new Map(), production: new Map(), 'bert-clicks': new Map() };
  for (const qid of qrels.keys()) {
    const hits = candidates.get(qid) ?? [];
    const q = queries.get(qid)!.text;
    const ids = hits.map((h) => h.docid);
    const b = bm25.scoreDocs(q, ids);
    runs.bm25.set(qid, new Map(ids.map((d, i) => [d, b[i]])));
    runs.production.set(qid, new Map(hits.map((h) => [h.docid, -h.rank])));
    const s = tidy(() => noGrad(() => scorePairs(model, tok, ids.map((d) => ({ query: q, title: docs.get(d)!.title, summary: docs.get(d)!.summary }))).toArray()));
    runs['bert-clicks'].set(qid, new Map(ids.map((d, i) => [d, s[i]])));
  }
  const runFiles = Object.entries(runs).map(([name, run]) => {
    const f = join(opts.out, `${name}.run`);
    writeFileSync(f, formatRun(run, name));
    return f;
  });
  const report = await evalCommand({ qrels: join(dataDir, 'qrels.txt'), run: runFiles, metrics: 'ndcg_cut_5,ndcg_cut_10,map,recip_rank,pnr', markdown: false });
  writeFileAtomicSync(join(opts.out, 'report.txt'), report);
  console.log(report);
  log(`done; model in ${modelDir}, runs and report.txt in ${opts.out}`);
  model.dispose();
  opt.dispose();
}

/** Scores (query, title, summary) pairs with the cross-encoder: (N) scores. */
function scorePairs(model: BertForSequenceClassification, tok: TextTokenizer, pairs: { query: string; title: string; summary: string }[]): Tensor {
  const enc = encodePairs(tok, pairs, { maxLength: MAX_LEN });
  const [B, T] = enc.shape;
  return model.score({
    inputIds: tensor(enc.inputIds, { shape: [B, T] }),
    attentionMask: tensor(enc.attentionMask, { shape: [B, T] }),
    tokenTypeIds: tensor(enc.tokenTypeIds, { shape: [B, T] }),
  });
}

