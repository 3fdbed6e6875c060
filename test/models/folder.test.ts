// Hugging Face folders: save → load is bit-exact (BERT, LLaMA with both heads, tied Qwen2, shards, bf16 on
// disk, LoRA adapter folders), config.json and model_card.json are stable, and each bad folder gives one clear error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable, loadSafetensors, noGrad, saveSafetensors, tidy, type Tensor } from '../../src/engine/index.js';
import { loadHfModel, loadLoraAdapter, saveHfModel, saveLoraAdapter, type HfModel, type ModelCard } from '../../src/models/hf.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { addLora } from '../../src/models/lora.js';
import { hasFixtures, need } from '../helpers/env.js';
import { HF } from './fixtures.js';
import { bertBatch, decoderBatch, tinyBert, tinyLlama } from './tiny.js';

const roots: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'dr-models-'));
  roots.push(d);
  return d;
};
after(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));
const engineOk = (t: import('node:test').TestContext) => need(t, engineAvailable(), 'the libtorch engine is not built');

/** Every parameter's raw bytes by name. */
function bytes(m: HfModel | Iterable<[string, Tensor]>): Map<string, string> {
  const it = 'namedParameters' in m ? m.namedParameters() : m;
  return tidy(() => new Map([...it].map(([n, p]) => [n, `${p.dtype}[${p.shape}]:${Buffer.from(p.data().buffer).toString('base64')}`])));
}

const CARD: ModelCard = {
  task: 'cross-encoder distillation',
  data: { train: 'groups.jsonl', queries: 1200 },
  steps: 300,
  losses: { kind: 'listwise KL', final: 0.4125 },
  hyperparameters: { lr: 3e-5, batch_size: 16, seed: 7 },
};

test('BERT: save → load is bit-exact; config.json and model_card.json are stable across re-saves', (t) => {
  if (!engineOk(t)) return;
  const dir = join(tmp(), 'bert');
  const m = tinyBert(11).eval();
  try {
    const files = saveHfModel(dir, m, { card: CARD });
    assert.deepEqual(files.sort(), ['config.json', 'model.safetensors', 'model_card.json']);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'model_card.json'], 'no temp files left');
    const back = loadHfModel(dir);
    try {
      assert.deepEqual(bytes(back.model), bytes(m));
      const a = tidy(() => noGrad(() => m.score(bertBatch()).toArray()));
      const b = tidy(() => noGrad(() => (back.model as typeof m).score(bertBatch()).toArray()));
      assert.deepEqual(a, b);
      assert.equal(back.card?.steps, 300);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
      assert.equal(cfg.model_type, 'bert');
      assert.deepEqual(cfg.id2label, { 0: 'LABEL_0' });
      assert.deepEqual(Object.keys(cfg), [...Object.keys(cfg)].sort(), 'sorted keys');
      const card = readFileSync(join(dir, 'model_card.json'), 'utf8');
      assert.match(card, /"hyperparameters": \{\n\s+"batch_size": 16,\n\s+"lr": 0.00003,\n\s+"seed": 7/);
      // Re-saving what was loaded gives the same bytes everywhere.
      const dir2 = join(tmp(), 'bert2');
      saveHfModel(dir2, back.model, { card: back.card!, rawConfig: back.rawConfig });
      for (const f of ['config.json', 'model.safetensors', 'model_card.json']) {
        assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(dir2, f))), `${f} differs after a re-save`);
      }
    } finally {
      back.model.dispose();
    }
  } finally {
    m.dispose();
  }
});

test('LLaMA with both heads and tied Qwen2: save → load bit-exact, sharded too; re-saving removes stale shards', (t) => {
  if (!engineOk(t)) return;
  const root = tmp();
  const llama = tinyLlama(12);
  const qwen = tinyLlama(13, { model_type: 'qwen2', tie_word_embeddings: true }, { lm: true });
  try {
    saveHfModel(join(root, 'llama'), llama);
    const cfg = JSON.parse(readFileSync(join(root, 'llama', 'config.json'), 'utf8'));
    assert.deepEqual(cfg.architectures, ['LlamaForCausalLM', 'LlamaForSequenceClassification']);
    const a = loadHfModel(join(root, 'llama'));
    assert.deepEqual((a.model as LlamaForCausalLM).heads, { lm: true, score: true });
    assert.deepEqual(bytes(a.model), bytes(llama));
    const out = (m: HfModel) => tidy(() => noGrad(() => (m as LlamaForCausalLM).both(decoderBatch()).lmLogits.toArray()));
    assert.deepEqual(out(a.model), out(llama));
    a.model.dispose();

    saveHfModel(join(root, 'qwen'), qwen);
    const st = loadSafetensors(join(root, 'qwen', 'model.safetensors'));
    assert.ok(!st.has('lm_head.weight'), 'tied: no lm_head.weight on disk (as save_pretrained)');
    assert.ok(st.has('model.layers.0.self_attn.q_proj.bias'));
    const q = loadHfModel(join(root, 'qwen'));
    assert.equal(q.architecture, 'Qwen2ForCausalLM');
    assert.deepEqual(bytes(q.model), bytes(qwen));
    q.model.dispose();

    // Sharded: small shards + index in name order, then back to one file in the same folder.
    const sdir = join(root, 'sharded');
    const files = saveHfModel(sdir, llama, { maxShardBytes: 40_000 });
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    assert.ok(shards.length >= 2, `expected shards, got ${files}`);
    assert.ok(files.includes('model.safetensors.index.json'));
    const s = loadHfModel(sdir);
    assert.deepEqual(bytes(s.model), bytes(llama));
    s.model.dispose();
    saveHfModel(sdir, llama);
    assert.deepEqual(readdirSync(sdir).sort(), ['config.json', 'model.safetensors', 'model_card.json'], 'stale shards and index removed');

    // bf16 on disk: the values are bf16-rounded, torch_dtype says so.
    const bdir = join(root, 'bf16');
    saveHfModel(bdir, llama, { dtype: 'bfloat16' });
    assert.equal(JSON.parse(readFileSync(join(bdir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    const b = loadHfModel(bdir, { dtype: 'bfloat16' });
    const want = tidy(() => new Map([...llama.namedParameters()].map(([n, p]) => [n, p.to('bfloat16')])));
    assert.deepEqual(bytes(b.model), bytes(want));
    b.model.dispose();
  } finally {
    llama.dispose();
    qwen.dispose();
  }
});

test('a fixture folder re-saved through our writer loads back bit-exact (config extras kept)', (t) => {
  if (!engineOk(t) || !need(t, hasFixtures('hf'), 'test/fixtures/hf is absent')) return;
  const a = loadHfModel(join(HF, 'qwen2-ranker', 'seq-cls'));
  const dir = join(tmp(), 'qwen-seq');
  try {
    saveHfModel(dir, a.model, { rawConfig: a.rawConfig });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.sliding_window, 4096);
    assert.equal(cfg.transformers_version, '4.40.2');
    assert.deepEqual(cfg.architectures, ['Qwen2ForSequenceClassification']);
    const b = loadHfModel(dir);
    assert.deepEqual(bytes(b.model), bytes(a.model));
    // The on-disk tensors equal the fixture's, name for name.
    const orig = tidy(() => bytes(loadSafetensors(join(HF, 'qwen2-ranker', 'seq-cls', 'model.safetensors'))));
    assert.deepEqual(tidy(() => bytes(loadSafetensors(join(dir, 'model.safetensors')))), orig);
    b.model.dispose();
  } finally {
    a.model.dispose();
  }
});

test('LoRA adapter folder: PEFT files, loads onto its base (by relative base_model_name_or_path) bit-exact', (t) => {
  if (!engineOk(t)) return;
  const root = tmp();
  const m = tinyLlama(14, {}, { lm: false, score: true }).eval();
  const lora = addLora(m, { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], modules_to_save: ['score'], task_type: 'SEQ_CLS' });
  try {
    noGrad(() => lora.layers.forEach((l) => l.B.normal_(0, 0.3)));
    saveHfModel(join(root, 'base'), m);
    const files = saveLoraAdapter(join(root, 'adapter'), lora, { baseModel: '../base' });
    assert.deepEqual(files.sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const ac = JSON.parse(readFileSync(join(root, 'adapter', 'adapter_config.json'), 'utf8'));
    assert.equal(ac.peft_type, 'LORA');
    assert.equal(ac.r, 4);
    assert.equal(ac.lora_alpha, 8);
    assert.equal(ac.task_type, 'SEQ_CLS');
    assert.deepEqual(ac.target_modules, ['q_proj', 'v_proj']);
    const keys = [...tidy(() => loadSafetensors(join(root, 'adapter', 'adapter_model.safetensors'))).keys()].sort();
    assert.ok(keys.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
    assert.ok(keys.includes('base_model.model.score.weight'));

    const want = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    const got = loadHfModel(join(root, 'adapter'));
    assert.ok(got.adapter);
    assert.deepEqual(bytes(got.adapter.namedParameters()), bytes(lora.namedParameters()));
    assert.deepEqual(tidy(() => noGrad(() => (got.model as LlamaForCausalLM).rank(decoderBatch()).toArray())), want);
    got.adapter.detach();
    got.model.dispose();

    // loadLoraAdapter onto a separately loaded base; then merge and save a plain folder that matches.
    const base = loadHfModel(join(root, 'base')).model as LlamaForCausalLM;
    const ad = loadLoraAdapter(join(root, 'adapter'), base);
    ad.merge();
    ad.detach();
    saveHfModel(join(root, 'merged'), base);
    base.dispose();
    const merged = loadHfModel(join(root, 'merged')).model as LlamaForCausalLM;
    const d = Math.max(...tidy(() => noGrad(() => merged.rank(decoderBatch()).toArray())).map((v, i) => Math.abs(v - want[i])));
    assert.ok(d <= 1e-5, `merged folder vs adapter: maxdiff ${d}`);
    merged.dispose();
  } finally {
    lora.detach();
    m.dispose();
  }
});

test('bad model folders: one clear error each (naming the folder, file or tensor)', (t) => {
  if (!engineOk(t)) return;
  const root = tmp();
  const good = join(root, 'good');
  const m = tinyLlama(15, {}, { lm: true, score: false });
  saveHfModel(good, m);
  const state = tidy(() => new Map([...m.namedParameters()].map(([n, p]) => [n, p.detach()])));
  const variant = (name: string, edit: (dir: string) => void): string => {
    const d = join(root, name);
    mkdirSync(d);
    for (const f of readdirSync(good)) copyFileSync(join(good, f), join(d, f));
    edit(d);
    return d;
  };
  const editConfig = (d: string, f: (c: Record<string, unknown>) => void) => {
    const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    f(c);
    writeFileSync(join(d, 'config.json'), JSON.stringify(c));
  };
  try {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.throws(() => loadHfModel(empty), (e: Error) => e.message === `${empty}: no config.json: not a Hugging Face model folder`);
    assert.throws(() => loadHfModel(join(root, 'nope')), /nope: no such model folder/);

    const unknown = variant('unknown', (d) => editConfig(d, (c) => ((c.architectures = ['GPT2LMHeadModel']), (c.model_type = 'gpt2'))));
    assert.throws(() => loadHfModel(unknown), /unknown: config\.json: unknown architecture: architectures \["GPT2LMHeadModel"\]; supported: BertForSequenceClassification, LlamaForCausalLM/);

    const shapes = variant('shapes', (d) => editConfig(d, (c) => (c.intermediate_size = 48)));
    assert.throws(() => loadHfModel(shapes), /shapes.*tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[64,32\] but the model \(from its config\) expects \[48,32\]/);

    const missing = variant('missing', (d) => {
      const s = new Map(state);
      s.delete('model.norm.weight');
      saveSafetensors(join(d, 'model.safetensors'), s);
    });
    assert.throws(() => loadHfModel(missing), /missing: weights \(model\.safetensors\) do not match LlamaForCausalLM built from config\.json: missing tensor\(s\) model\.norm\.weight$/);

    const extra = variant('extra', (d) => {
      const s = new Map(state);
      s.set('model.layers.9.mlp.up_proj.weight', state.get('model.layers.0.mlp.up_proj.weight')!);
      saveSafetensors(join(d, 'model.safetensors'), s);
    });
    assert.throws(() => loadHfModel(extra), /extra: .*unexpected tensor\(s\) model\.layers\.9\.mlp\.up_proj\.weight$/);

    const truncated = variant('truncated', (d) => truncateSync(join(d, 'model.safetensors'), statSync(join(d, 'model.safetensors')).size - 100));
    assert.throws(() => loadHfModel(truncated), (e: Error) => e.message.includes(truncated) && /truncated/.test(e.message));

    const noWeights = join(root, 'noweights');
    mkdirSync(noWeights);
    copyFileSync(join(good, 'config.json'), join(noWeights, 'config.json'));
    writeFileSync(join(noWeights, 'pytorch_model.bin'), '');
    assert.throws(() => loadHfModel(noWeights), /noweights: no weights: neither model\.safetensors nor model\.safetensors\.index\.json \(found pytorch_model\.bin; only safetensors/);

    const badJson = variant('badjson', (d) => writeFileSync(join(d, 'config.json'), '{"architectures": ['));
    assert.throws(() => loadHfModel(badJson), /badjson: config\.json is not valid JSON/);

    const badCfg = variant('badcfg', (d) => editConfig(d, (c) => (c.num_key_value_heads = 3)));
    assert.throws(() => loadHfModel(badCfg), /badcfg: config\.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3/);

    const adapterOnly = join(root, 'adapteronly');
    mkdirSync(adapterOnly);
    writeFileSync(join(adapterOnly, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', base_model_name_or_path: 'meta-llama/Llama-2-7b-hf' }));
    assert.throws(() => loadHfModel(adapterOnly), /adapteronly: this is a LoRA adapter folder; its base model "meta-llama\/Llama-2-7b-hf" is not a local model folder/);
  } finally {
    m.dispose();
    for (const v of state.values()) v.dispose();
  }
});
