// The main job on the embedded default data: the first stage of the method, end to end on the engine.
//   1. generate the synthetic web-search world (a click log, plus human-judged queries kept apart from it);
//   2. train a byte-level BPE vocabulary on it;
//   3. continued pre-training (CPT) of a small LLaMA-style decoder on the click log: the input is the query, the
//      target the clicked title + summary, and the next-token loss counts only on the target tokens;
//   4. show what CPT taught (titles generated for held-out judged queries), and rank the judged queries'
//      candidates by what the model learnt, log p(document | query) − log p(document), next to BM25 and the
//      production ranker that produced the click log.
// Every stage is skipped when its output is there; CPT checkpoints every --checkpoint-every steps and resumes.
// Later stages (ranking SFT, teacher scoring, distillation into BERT) build on this model.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { openDataset } from '../data/dataset.js';
import { generateSynthetic } from '../data/synth/generate.js';
import { Bm25Index, documentText as bm25Text } from '../data/bm25.js';
import { formatRun, type Run } from '../data/trec.js';
import { Random } from '../util/random.js';
import { evalCommand } from '../eval/run-eval.js';
import { loadTokenizer, saveTrainedTokenizer, trainByteLevelBpe, type QueryDocument, type TextTokenizer } from '../text/index.js';
import { crossEntropy, loadSafetensors, manualSeed, noGrad, saveSafetensors, tidy } from '../engine/index.js';
import { LlamaForCausalLM, llamaConfig } from '../models/llama.js';
import { decoderCptInputs } from '../models/inputs.js';
import { generateForQueries } from '../models/generate.js';
import { saveHfModel } from '../models/hf.js';
import { AdamW } from '../train/optimizer.js';
import { lrFactor, type Schedule } from '../train/schedule.js';
import { writeFileAtomicSync } from '../util/fs.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** synthetic world size (tiny, small, medium, large) */
  preset?: string;
  /** CPT optimizer steps */
  steps?: number;
  lr?: number;
  batchSize?: number;
  checkpointEvery?: number;
}

const MAX_LEN = 96;
const MIN_DWELL = 10; // seconds: shorter clicks are treated as misclicks

interface CheckpointState {
  step: number;
  losses: number[];
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const preset = opts.preset ?? 'small';
  const steps = opts.steps ?? 1000;
  const batchSize = opts.batchSize ?? 16;
  const lr = opts.lr ?? 2e-3;
  const every = opts.checkpointEvery ?? 100;
  const dataDir = join(opts.out, 'data');
  const tokDir = join(opts.out, 'tokenizer');
  const ckptDir = join(opts.out, 'cpt-checkpoint');
  const modelDir = join(opts.out, 'cpt-model');
  mkdirSync(opts.out, { recursive: true });
  const t0 = performance.now();
  const log = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

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
  const records: QueryDocument[] = [];
  let pages = 0;
  for await (const imp of ds.impressions()) {
    if (qrels.has(imp.qid)) continue; // the judged queries are for evaluation only
    pages++;
    for (const r of imp.results) if (r.clicked && r.dwell >= MIN_DWELL) records.push({ query: imp.query, title: r.title, summary: r.summary });
  }
  log(`${docs.size} documents, ${queries.size} queries (${qrels.size} judged); CPT corpus: ${records.length} clicks with dwell ≥ ${MIN_DWELL}s from ${pages} result pages`);

  // 2. vocabulary
  if (!existsSync(join(tokDir, 'tokenizer.json'))) {
    log('training a byte-level BPE vocabulary (4,000 tokens)');
    const corpus = function* () {
      for (const d of docs.values()) yield `${d.title} ${d.summary}`;
      for (const q of queries.values()) yield q.text;
    };
    saveTrainedTokenizer(tokDir, trainByteLevelBpe(corpus(), { vocabSize: 4000, addPrefixSpace: true }));
  }
  const tok = loadTokenizer(tokDir);

  // 3. CPT
  manualSeed(opts.seed);
  const config = llamaConfig({
    vocab_size: tok.vocabSize,
    hidden_size: 128,
    intermediate_size: 344,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: MAX_LEN,
    tie_word_embeddings: true,
    bos_token_id: tok.special.bos?.id ?? null,
    eos_token_id: tok.special.eos!.id,
    pad_token_id: tok.special.pad?.id ?? tok.special.eos!.id,
  });
  const model = new LlamaForCausalLM(config);
  const opt = AdamW.forModule(model, { lr, weightDecay: 0.01 });
  const schedule: Schedule = { kind: 'cosine', warmupSteps: Math.min(30, Math.round(steps / 10)), totalSteps: steps, minFactor: 0.1 };
  // A checkpoint is a folder written beside the old one and swapped in with renames, so a crash at any
  // point leaves one complete checkpoint (the new one, or the previous one as `.old`).
  let state: CheckpointState = { step: 0, losses: [] };
  const oldDir = `${ckptDir}.old`;
  if (!existsSync(ckptDir) && existsSync(oldDir)) renameSync(oldDir, ckptDir);
  if (existsSync(join(ckptDir, 'state.json'))) {
    state = JSON.parse(readFileSync(join(ckptDir, 'state.json'), 'utf8')) as CheckpointState;
    tidy(() => model.loadStateDict(loadSafetensors(join(ckptDir, 'model.safetensors')), { source: ckptDir }));
    opt.loadState(join(ckptDir, 'optimizer.safetensors'));
    log(`resuming CPT from the checkpoint at step ${state.step}`);
  }
  const saveCheckpoint = () => {
    const tmp = `${ckptDir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    saveSafetensors(join(tmp, 'model.safetensors'), model.stateDict(), { format: 'pt' });
    opt.saveState(join(tmp, 'optimizer.safetensors'));
    writeFileAtomicSync(join(tmp, 'state.json'), JSON.stringify(state));
    rmSync(oldDir, { recursive: true, force: true });
    if (existsSync(ckptDir)) renameSync(ckptDir, oldDir);
    renameSync(tmp, ckptDir);
    rmSync(oldDir, { recursive: true, force: true });
  };

  if (state.step < steps) {
    log(`CPT of a LLaMA-style decoder (L2 H128, GQA 4/2 heads, ${(model.numParameters() / 1e6).toFixed(2)}M parameters), ${steps} steps of ${batchSize}`);
    const bar = new SingleBar({ format: '        CPT [{bar}] {value}/{total} steps | loss {loss} | {rate} steps/s | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic);
    const tty = process.stdout.isTTY;
    if (tty) bar.start(steps, state.step, { loss: '-', rate: '-' });
    model.train();
    const tStart = performance.now();
    const startStep = state.step;
    while (state.step < steps) {
      // The batch of step s depends only on (seed, s), so a resumed run sees the same data.
      const rng = new Random(opts.seed).fork(`cpt-step-${state.step}`);
      opt.setLrFactor(lrFactor(schedule, state.step));
      const loss = tidy(() => {
        const { inputs, labels } = decoderCptInputs(tok, Array.from({ length: batchSize }, () => records[rng.int(records.length)]), { maxLength: MAX_LEN });
        const l = model.lmLoss(inputs, labels);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.item();
      });
      state.losses.push(Number(loss.toFixed(4)));
      state.step++;
      const rate = (state.step - startStep) / ((performance.now() - tStart) / 1000);
      if (tty) bar.update(state.step, { loss: loss.toFixed(3), rate: rate.toFixed(1) });
      else if (state.step % 50 === 0 || state.step === steps) {
        log(`  step ${state.step}/${steps}: loss ${loss.toFixed(3)}, ETA ${Math.round((steps - state.step) / rate)}s`);
      }
      if (state.step % every === 0 || state.step === steps) saveCheckpoint();
    }
    if (tty) bar.stop();
  }
  model.eval();
  const first = state.losses.slice(0, 10);
  const last = state.losses.slice(-10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  log(`CPT loss: ${mean(first).toFixed(3)} (first 10 steps) → ${mean(last).toFixed(3)} (last 10)`);
  saveHfModel(modelDir, model, {
    card: {
      task: 'continued pre-training on clicks (query → clicked title + summary)',
      data: { dataset: dataDir, preset, seed: opts.seed, records: records.length, min_dwell_s: MIN_DWELL },
      steps,
      losses: { kind: 'next-token cross-entropy on target tokens', first10_mean: mean(first), last10_mean: mean(last) },
      hyperparameters: { lr, batch_size: batchSize, schedule, max_length: MAX_LEN, optimizer: 'AdamW', weight_decay: 0.01 },
    },
  });

  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tokDir, f), join(modelDir, f)); // a self-contained HF folder

  // 4a. what CPT taught: generated titles for judged queries the model never saw
  const judged = [...qrels.keys()].slice(0, 3).map((q) => queries.get(q)!.text);
  const generated = generateForQueries(model, tok, judged, { maxNewTokens: 20 });
  console.log('\nWhat CPT taught (held-out judged queries → generated result):');
  judged.forEach((q, i) => console.log(`  ${q}\n    → ${generated[i].trim()}`));
  console.log();

  // 4b. rank the judged queries' candidates
  log(`ranking the candidates of ${qrels.size} judged queries`);
  const bm25 = new Bm25Index();
  for (const d of docs.values()) bm25.add(d.docid, bm25Text(d));
  const runs: Record<string, Run> = { bm25: new Map(), production: new Map(), 'cpt-likelihood': new Map() };
  // log p(document) with an empty query: once per document, though a document is a candidate of several queries.
  const priorIds = [...new Set([...qrels.keys()].flatMap((qid) => (candidates.get(qid) ?? []).map((h) => h.docid)))];
  const prior = new Map<string, number>();
  for (let i = 0; i < priorIds.length; i += 64) {
    const ids = priorIds.slice(i, i + 64);
    const ll = meanLogLikelihood(model, tok, ids.map((d) => ({ query: '', title: docs.get(d)!.title, summary: docs.get(d)!.summary })));
    ids.forEach((d, k) => prior.set(d, ll[k]));
  }
  for (const qid of qrels.keys()) {
    const hits = candidates.get(qid) ?? [];
    const q = queries.get(qid)!.text;
    const ids = hits.map((h) => h.docid);
    const b = bm25.scoreDocs(q, ids);
    runs.bm25.set(qid, new Map(ids.map((d, i) => [d, b[i]])));
    runs.production.set(qid, new Map(hits.map((h) => [h.docid, -h.rank])));
    const items = ids.map((d) => ({ query: q, title: docs.get(d)!.title, summary: docs.get(d)!.summary }));
    const conditional = meanLogLikelihood(model, tok, items);
    runs['cpt-likelihood'].set(qid, new Map(ids.map((d, i) => [d, conditional[i] - prior.get(d)!])));
  }
  const runFiles = Object.entries(runs).map(([name, run]) => {
    const f = join(opts.out, `${name}.run`);
    writeFileAtomicSync(f, formatRun(run, name));
    return f;
  });
  const report = await evalCommand({ qrels: join(dataDir, 'qrels.txt'), run: runFiles, metrics: 'ndcg_cut_5,ndcg_cut_10,map,recip_rank,pnr' });
  writeFileAtomicSync(join(opts.out, 'report.txt'), report);
  console.log(report);
  log(`done: model in ${modelDir}, runs and report.txt in ${opts.out}`);
  log(`try: npx disranker generate ${modelDir} --query "${judged[0]}"`);
  rmSync(ckptDir, { recursive: true, force: true });
  model.dispose();
  opt.dispose();
}

/** Mean log-probability per target token of each item's document given its query (CPT's own objective). */
function meanLogLikelihood(model: LlamaForCausalLM, tok: TextTokenizer, items: QueryDocument[]): number[] {
  return tidy(() =>
    noGrad(() => {
      const { inputs, labels } = decoderCptInputs(tok, items, { maxLength: MAX_LEN });
      const logits = model.forward(inputs); // (B, T, V)
      const [B, T, V] = logits.shape;
      const predicted = logits.slice(1, 0, T - 1).reshape(B * (T - 1), V); // position t predicts token t + 1
      const targets = labels.slice(1, 1).reshape(B * (T - 1));
      const nll = crossEntropy(predicted, targets, { reduction: 'none' }).view(B, T - 1); // 0 where ignored
      const count = targets.view(B, T - 1).ne(-100).sum(1).float().clamp(1);
      return nll.sum(1).div(count).neg().toArray();
    }),
  );
}

