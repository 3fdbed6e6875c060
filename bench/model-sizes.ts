// The size presets of the teacher (TEACHER_SIZES, a LLaMA-style decoder) and of the student (STUDENT_SIZES, a BERT
// cross-encoder) in src/pipeline/defaults.ts: parameters and the cost of scoring 100 candidates (batches of 32 by
// length, 128 tokens at most, fp32, no grad), on synthetic-world text, all in one run.
//   node --import tsx bench/model-sizes.ts [--pairs 320]
import { generateSynthetic } from '../src/data/synth/generate.js';
import { openDataset } from '../src/data/dataset.js';
import { manualSeed } from '../src/engine/index.js';
import { LlamaForCausalLM, llamaConfig } from '../src/models/llama.js';
import { scorePairs } from '../src/models/score.js';
import { STUDENT_SIZES, TEACHER_SIZES } from '../src/pipeline/defaults.js';
import { BertForSequenceClassification, bertConfig } from '../src/models/bert.js';
import { saveTrainedTokenizer, loadTokenizer, trainByteLevelBpe, trainWordPiece, type QueryDocument } from '../src/text/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, isMain, runMain } from './util.js';
import { intFlag } from '../src/util/flags.js';

export async function modelSizes(o: { pairs: string; markdown: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dr-sizes-'));
  await generateSynthetic({ preset: 'tiny', seed: 1, out: join(dir, 'ds') });
  const ds = await openDataset(join(dir, 'ds'));
  const docs = [...(await ds.loadDocuments()).values()];
  const queries = [...(await ds.loadQueries()).values()];
  saveTrainedTokenizer(join(dir, 'tok'), trainByteLevelBpe([...docs.map((d) => `${d.title} ${d.summary}`), ...queries.map((q) => q.text)], { vocabSize: 4000, addPrefixSpace: true }));
  const tok = loadTokenizer(join(dir, 'tok'));
  const n = intFlag('--pairs', o.pairs, 64);
  const items: QueryDocument[] = Array.from({ length: n }, (_, i) => ({ query: queries[i % queries.length].text, title: docs[i % docs.length].title, summary: docs[i % docs.length].summary }));
  const rows: string[] = [];
  for (const [name, shape] of Object.entries(TEACHER_SIZES)) {
    manualSeed(0);
    const model = new LlamaForCausalLM(llamaConfig({ ...shape, vocab_size: tok.vocabSize, max_position_embeddings: 128, eos_token_id: tok.special.eos!.id, pad_token_id: tok.special.eos!.id }), { lm: false, score: true });
    model.eval();
    scorePairs(model, tok, items.slice(0, 64), { maxLength: 128 }); // warm-up
    const { stats } = scorePairs(model, tok, items, { maxLength: 128 });
    const msPer100 = (stats.seconds * 1000 * 100) / n;
    rows.push(`| teacher ${name} | ${shape.num_hidden_layers} | ${shape.hidden_size} | ${(model.numParameters() / 1e6).toFixed(2)}M | ${msPer100.toFixed(1)} |`);
    model.dispose();
  }
  saveTrainedTokenizer(join(dir, 'wp'), trainWordPiece([...docs.map((d) => `${d.title} ${d.summary}`), ...queries.map((q) => q.text)], { vocabSize: 8000 }));
  const wp = loadTokenizer(join(dir, 'wp'));
  for (const [name, shape] of Object.entries(STUDENT_SIZES)) {
    manualSeed(0);
    const model = new BertForSequenceClassification(bertConfig({ ...shape, vocab_size: wp.vocabSize }));
    model.eval();
    scorePairs(model, wp, items.slice(0, 64), { maxLength: 128 });
    const { stats } = scorePairs(model, wp, items, { maxLength: 128 });
    rows.push(`| student ${name} | ${shape.num_hidden_layers} | ${shape.hidden_size} | ${(model.numParameters() / 1e6).toFixed(2)}M | ${((stats.seconds * 1000 * 100) / n).toFixed(1)} |`);
    model.dispose();
  }
  console.log(['| preset | layers | hidden | parameters (4k BPE / 8k WordPiece vocab) | ms per 100 candidates |', '|---|---:|---:|---:|---:|', ...rows].join('\n'));
}

if (isMain(import.meta.url)) {
  await runMain(() => modelSizes(benchArgs('bench/model-sizes.ts: parameters and scoring cost of the teacher and student size presets', { pairs: { type: 'string', default: '320', help: 'pairs scored per preset' }, markdown: { type: 'boolean', help: 'Markdown table (the default output)' } })));
}
