// Hugging Face model folders: load and save what `from_pretrained` / `save_pretrained` read and write.
//
//   config.json                         architectures + model_type pick the class; the rest sizes it
//   model.safetensors                   or model.safetensors.index.json + model-0000i-of-0000n.safetensors
//   model.<variant>.safetensors         e.g. model.bf16.safetensors (opts.variant = 'bf16')
//   adapter_config.json + adapter_model.safetensors   a PEFT LoRA adapter (its own folder)
//   model_card.json                     ours: what trained the model (data, steps, losses, hyperparameters)
//
// The engine owns the safetensors format (safetensors.ts); this file owns the folder: config, key names, shards,
// dtype conversion to the compute dtype, and errors that name the folder and the tensor. Saving goes through a
// temporary sibling folder and renames, so a reader never sees half a model; saving then loading is bit-exact.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  loadSafetensors,
  loadShardedSafetensors,
  noGrad,
  readSafetensorsHeader,
  readShardIndex,
  saveSafetensors,
  saveShardedSafetensors,
  tidy,
  type Device,
  type DType,
  type Tensor,
} from '../engine/index.js';
import { sortKeys } from '../util/json.js';
import { DisrankerError } from '../util/errors.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { BERT_DEFAULTS, bertConfig, BertForSequenceClassification, type BertConfig } from './bert.js';
import { LLAMA_DEFAULTS, llamaConfig, LlamaForCausalLM, type DecoderHeads, type LlamaConfig } from './llama.js';
import { LORA_DEFAULTS, loraConfig, LoraAdapter, PEFT_PREFIX, type LoraConfig } from './lora.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
export const MODEL_CARD_FILE = 'model_card.json';
/** save_pretrained's default max_shard_size ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** The architectures this loader builds, and what each one is here. */
export const ARCHITECTURES = {
  BertForSequenceClassification: { family: 'bert', heads: null },
  LlamaForCausalLM: { family: 'llama', heads: { lm: true, score: false } },
  LlamaForSequenceClassification: { family: 'llama', heads: { lm: false, score: true } },
  Qwen2ForCausalLM: { family: 'qwen2', heads: { lm: true, score: false } },
  Qwen2ForSequenceClassification: { family: 'qwen2', heads: { lm: false, score: true } },
} as const;
export type Architecture = keyof typeof ARCHITECTURES;
const DEFAULT_ARCH: Record<string, Architecture> = { bert: 'BertForSequenceClassification', llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' };

export type HfModel = BertForSequenceClassification | LlamaForCausalLM;

/** What trained a model; written next to the weights with sorted keys, so the same run gives the same bytes. */
export interface ModelCard {
  base_model?: string; // the folder or hub name training started from
  task?: string; // e.g. 'cross-encoder distillation', 'continued pre-training'
  data?: Record<string, unknown>; // training data: files, sizes, splits, hashes
  steps?: number; // optimizer steps
  losses?: Record<string, unknown>; // e.g. { final: 0.41, per_epoch: [...] , kind: 'listwise KL' }
  hyperparameters?: Record<string, unknown>; // learning rate, batch size, seed, ...
  metrics?: Record<string, unknown>; // evaluation results
  notes?: string;
  [key: string]: unknown;
}

export interface LoadHfOptions {
  /** Compute dtype; bf16/f16 files are converted on load. Default float32. */
  dtype?: DType;
  device?: Device;
  /** Weight file variant: 'bf16' reads model.bf16.safetensors (or model.safetensors.index.bf16.json). */
  variant?: string;
  /** Decoder heads to build, overriding config.json; a head the checkpoint lacks starts freshly initialised. */
  heads?: Partial<DecoderHeads>;
  /** BERT: a checkpoint without pooler/classifier (BertModel, BertForMaskedLM) loads with fresh ones; other heads' tensors are ignored. */
  allowNewHead?: boolean;
  /** A LoRA adapter folder to attach; default: the folder itself when it holds adapter_config.json. */
  adapter?: string;
  /** For an adapter folder without config.json: the base model folder (default: its base_model_name_or_path). */
  base?: string;
  /** Decoders: the score head's pooling rule, overriding config.json's (see LlamaConfig.pooling). */
  pooling?: 'last_mask' | 'first_pad';
}

export interface LoadedHfModel {
  model: HfModel;
  architecture: Architecture;
  /** config.json as read (its extra fields are written back on save). */
  rawConfig: Record<string, unknown>;
  dir: string;
  /** The weight files read, relative to dir. */
  weightFiles: string[];
  card: ModelCard | null;
  adapter: LoraAdapter | null;
  /** Head tensors that were not in the checkpoint and start freshly initialised. */
  newTensors: string[];
}

// ---- helpers -------------------------------------------------------------------------------------------

function modelError(dir: string, what: string, cause?: unknown): DisrankerError {
  return new DisrankerError('DR_ERR_MODEL', `${dir}: ${what}`, cause ? { cause } : undefined);
}

function readJson(file: string, dir: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw modelError(dir, `${basename(file)} is not valid JSON (${(err as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw modelError(dir, `${basename(file)} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** JSON with object keys sorted at every level, 2-space indent, trailing newline (stable bytes). */
export function stableJson(v: unknown): string {
  return JSON.stringify(sortKeys(v), null, 2) + '\n';
}

/** The config fields a typed config knows, taken from config.json (absent ones fall back to the defaults). */
function pick<T extends object>(raw: Record<string, unknown>, defaults: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(defaults)) if (raw[k] !== undefined) out[k] = raw[k];
  return out as Partial<T>;
}

/** num_labels as HF derives it: len(id2label), else num_labels, else 2 (PretrainedConfig's default). */
function numLabels(raw: Record<string, unknown>): number {
  if (raw.id2label && typeof raw.id2label === 'object') return Object.keys(raw.id2label).length;
  return typeof raw.num_labels === 'number' ? raw.num_labels : 2;
}

/** Picks the architecture from config.json: the first known `architectures` entry, else model_type's default. */
function architectureOf(raw: Record<string, unknown>, dir: string): { arch: Architecture; all: Architecture[] } {
  const listed = Array.isArray(raw.architectures) ? (raw.architectures as unknown[]).map(String) : [];
  const known = listed.filter((a): a is Architecture => a in ARCHITECTURES);
  if (known.length) return { arch: known[0], all: known };
  const mt = typeof raw.model_type === 'string' ? raw.model_type : undefined;
  if (!listed.length && mt && DEFAULT_ARCH[mt]) return { arch: DEFAULT_ARCH[mt], all: [DEFAULT_ARCH[mt]] };
  const what = listed.length ? `architectures ${JSON.stringify(listed)}` : `model_type ${JSON.stringify(mt ?? null)} (and no architectures)`;
  throw modelError(dir, `config.json: unknown architecture: ${what}; supported: ${Object.keys(ARCHITECTURES).join(', ')}`);
}

/** Largest size a config field may give (a dimension of one tensor). */
const MAX_CONFIG_SIZE = 2 ** 31 - 1;
const SIZE_FIELDS = [
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'intermediate_size',
  'max_position_embeddings',
  'type_vocab_size',
  'num_labels',
] as const;
const FLOAT_FIELDS = [
  'layer_norm_eps',
  'rms_norm_eps',
  'initializer_range',
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
  'attention_dropout',
] as const;

/** Types and ranges of the config fields the models read (before any of them sizes a tensor). */
function checkConfigFields(c: Record<string, unknown>): void {
  const bad = (field: string, what: string): never => {
    throw new Error(`${field}: ${what}, got ${JSON.stringify(c[field])}`);
  };
  for (const f of SIZE_FIELDS) {
    const v = c[f];
    if (v === undefined || (f === 'num_key_value_heads' && v === null)) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CONFIG_SIZE) bad(f, `expected an integer between 1 and ${MAX_CONFIG_SIZE}`);
  }
  for (const f of FLOAT_FIELDS) {
    const v = c[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) bad(f, 'expected a finite number ≥ 0');
  }
  if (c.rope_theta !== undefined && (typeof c.rope_theta !== 'number' || !(c.rope_theta > 0) || !Number.isFinite(c.rope_theta))) bad('rope_theta', 'expected a finite number > 0');
  for (const f of ['tie_word_embeddings', 'attention_bias']) if (c[f] !== undefined && typeof c[f] !== 'boolean') bad(f, 'expected true or false');
  if (c.hidden_act !== undefined && typeof c.hidden_act !== 'string') bad('hidden_act', 'expected a string');
  const vocab = typeof c.vocab_size === 'number' ? c.vocab_size : undefined;
  const isId = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && (vocab === undefined || x < vocab);
  const range = vocab === undefined ? 'a token id' : `a token id below vocab_size ${vocab}`;
  for (const f of ['pad_token_id', 'bos_token_id']) if (c[f] !== undefined && c[f] !== null && !isId(c[f])) bad(f, `expected null or ${range}`);
  const eos = c.eos_token_id;
  if (eos !== undefined && eos !== null && !(isId(eos) || (Array.isArray(eos) && eos.length > 0 && eos.every(isId)))) bad('eos_token_id', `expected null, ${range} or a list of them`);
}

/** Builds the typed config for an architecture from config.json. */
export function configFromHf(raw: Record<string, unknown>, arch: Architecture, dir = 'config'): BertConfig | LlamaConfig {
  try {
    const family = ARCHITECTURES[arch].family;
    checkConfigFields({ ...pick(raw, family === 'bert' ? BERT_DEFAULTS : LLAMA_DEFAULTS), num_labels: numLabels(raw) });
    if (family === 'bert') {
      if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
        throw new Error(`position_embedding_type '${String(raw.position_embedding_type)}' is not supported (only absolute)`);
      }
      const c = bertConfig({ ...pick(raw, BERT_DEFAULTS), num_labels: numLabels(raw) });
      if (!['gelu', 'gelu_new', 'relu'].includes(c.hidden_act)) throw new Error(`hidden_act '${c.hidden_act}' is not supported`);
      return c;
    }
    return llamaConfig({ ...pick(raw, LLAMA_DEFAULTS), model_type: family, num_labels: numLabels(raw) });
  } catch (err) {
    throw modelError(dir, `config.json: ${(err as Error).message.replace(/^decoder config: /, '')}`, err);
  }
}

/** A model folder's config.json read and checked: the raw JSON, the architecture(s) it names and the typed config. */
export function readHfConfig(dir: string): { raw: Record<string, unknown>; arch: Architecture; all: Architecture[]; config: BertConfig | LlamaConfig } {
  const raw = readJson(join(dir, CONFIG_FILE), dir);
  const { arch, all } = architectureOf(raw, dir);
  return { raw, arch, all, config: configFromHf(raw, arch, dir) };
}

/** The weight files of a folder: single file, sharded index, or a variant of either. */
function weightSource(dir: string, variant?: string): { kind: 'single' | 'sharded'; file: string } {
  const single = variant ? `model.${variant}.safetensors` : WEIGHTS_FILE;
  const index = variant ? `model.safetensors.index.${variant}.json` : WEIGHTS_INDEX_FILE;
  if (existsSync(join(dir, single))) return { kind: 'single', file: single };
  if (existsSync(join(dir, index))) return { kind: 'sharded', file: index };
  const other = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5'].find((f) => existsSync(join(dir, f)));
  throw modelError(
    dir,
    `no weights: neither ${single} nor ${index}` + (other ? ` (found ${other}; only safetensors is supported — convert it with save_pretrained(safe_serialization=True))` : ''),
  );
}

/** Tensor shapes of the weight files, from their headers only (no tensor data is read). */
function weightShapes(dir: string, src: { kind: 'single' | 'sharded'; file: string }): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const files =
    src.kind === 'single' ? [src.file] : [...new Set(Object.values(readShardIndex(join(dir, src.file)).weight_map))].filter((f) => existsSync(join(dir, f)));
  for (const f of files) for (const [name, info] of readSafetensorsHeader(join(dir, f)).tensors) out.set(name, info.shape);
  return out;
}

/**
 * Checks the sizes of config.json against the weights' headers before the model is built, so that a config that
 * does not describe these weights (`num_hidden_layers: 100000`) is an error naming the field instead of gigabytes of
 * allocation: the word embeddings give vocab_size × hidden_size, the number of layers in the file bounds
 * num_hidden_layers from above, the first layer's MLP gives intermediate_size and, for BERT, the position and token
 * type tables give their sizes.
 */
function checkConfigAgainstWeights(config: BertConfig | LlamaConfig, family: string, shapes: Map<string, number[]>, dir: string, file: string): void {
  const find = (suffix: string) => [...shapes].find(([k]) => k === suffix || k.endsWith(`.${suffix}`));
  const expect = (suffix: string, want: number[], fields: string): void => {
    const hit = find(suffix);
    if (!hit) return;
    const [name, shape] = hit;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      throw modelError(dir, `${file}: tensor ${name} has shape [${shape}] but the model (from its config) expects [${want}] (config.json: ${fields})`);
    }
  };
  const bert = family === 'bert';
  const embeddings = bert ? 'embeddings.word_embeddings.weight' : 'embed_tokens.weight';
  if (!find(embeddings)) throw modelError(dir, `${file} has no ${embeddings}: these are not the weights of a ${bert ? 'BERT' : 'decoder'} model`);
  expect(embeddings, [config.vocab_size, config.hidden_size], 'vocab_size and hidden_size');
  const layers = new Set<number>();
  for (const k of shapes.keys()) {
    const m = /(?:^|\.)layers?\.(\d+)\./.exec(k);
    if (m) layers.add(Number(m[1]));
  }
  // More layers than the file holds would only be allocated to fail; fewer is the loader's "unexpected tensors".
  if (config.num_hidden_layers > layers.size) {
    throw modelError(dir, `config.json: num_hidden_layers is ${config.num_hidden_layers}, but ${file} holds ${layers.size} layer${layers.size === 1 ? '' : 's'}`);
  }
  if (bert) {
    const c = config as BertConfig;
    expect('embeddings.position_embeddings.weight', [c.max_position_embeddings, c.hidden_size], 'max_position_embeddings and hidden_size');
    expect('embeddings.token_type_embeddings.weight', [c.type_vocab_size, c.hidden_size], 'type_vocab_size and hidden_size');
    expect('layer.0.intermediate.dense.weight', [c.intermediate_size, c.hidden_size], 'intermediate_size and hidden_size');
  } else {
    expect('layers.0.mlp.gate_proj.weight', [config.intermediate_size, config.hidden_size], 'intermediate_size and hidden_size');
  }
}

/** Buffers some checkpoints carry that are not parameters (HF ignores them too). */
const IGNORED_KEYS = [/(^|\.)position_ids$/, /(^|\.)rotary_emb\.inv_freq$/];

/** Renames checkpoint keys to ours: old LayerNorm gamma/beta, and a missing base prefix (bert. / model.). */
function normalizeKeys(state: Map<string, Tensor>, expected: Set<string>, basePrefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of state) {
    if (IGNORED_KEYS.some((re) => re.test(k))) continue;
    out.set(k.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias'), v);
  }
  const hasPrefix = [...out.keys()].some((k) => k.startsWith(basePrefix));
  if (hasPrefix) return out;
  // A base-model checkpoint (BertModel / LlamaModel) without the prefix: add it where that gives a known name.
  const fixed = new Map<string, Tensor>();
  for (const [k, v] of out) fixed.set(expected.has(basePrefix + k) ? basePrefix + k : k, v);
  return fixed;
}

// ---- load ------------------------------------------------------------------------------------------------

/**
 * A clear error when `dir` does not exist or is not a folder: `DIR: no such model folder`. Commands call it first,
 * before looking up any file in it (tokenizer.json, config.json).
 */
export function assertModelFolder(dir: string, what = 'model folder'): void {
  if (!existsSync(dir)) throw new DisrankerError('DR_ERR_FILE', `${dir}: no such ${what}`);
  if (!statSync(dir).isDirectory()) throw new DisrankerError('DR_ERR_FILE', `${dir}: is a file, not a ${what}`);
}

/** Loads a Hugging Face model folder (see the file comment). Parameters are kept (outside tidy scopes). */
export function loadHfModel(dir: string, opts: LoadHfOptions = {}): LoadedHfModel {
  assertModelFolder(dir);
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) {
    if (existsSync(join(dir, ADAPTER_CONFIG_FILE))) {
      const ac = readJson(join(dir, ADAPTER_CONFIG_FILE), dir);
      const baseName = opts.base ?? (typeof ac.base_model_name_or_path === 'string' ? ac.base_model_name_or_path : '');
      const baseDir = baseName && !isAbsolute(baseName) && !existsSync(baseName) ? resolve(dir, baseName) : baseName;
      if (!baseDir || !existsSync(join(baseDir, CONFIG_FILE))) {
        throw modelError(dir, `this is a LoRA adapter folder; its base model ${JSON.stringify(baseName)} is not a local model folder (pass opts.base)`);
      }
      return loadHfModel(baseDir, { ...opts, base: undefined, adapter: dir });
    }
    throw modelError(dir, 'no config.json: not a Hugging Face model folder');
  }
  const { raw, arch, all, config } = readHfConfig(dir);
  if (opts.pooling && 'pooling' in config) config.pooling = opts.pooling;
  const family = ARCHITECTURES[arch].family;
  const src = weightSource(dir, opts.variant);
  checkConfigAgainstWeights(config, family, weightShapes(dir, src), dir, src.file);

  let model: HfModel;
  let optionalHeads: string[] = [];
  if (family === 'bert') {
    model = new BertForSequenceClassification(config as BertConfig);
    if (opts.allowNewHead) optionalHeads = ['bert.pooler.', 'classifier.'];
  } else {
    // Heads: those of every listed architecture (CausalLM + SequenceClassification = both), unless overridden.
    const fromConfig = { lm: all.some((a) => ARCHITECTURES[a].heads?.lm), score: all.some((a) => ARCHITECTURES[a].heads?.score) };
    const heads = { ...fromConfig, ...opts.heads };
    model = new LlamaForCausalLM(config as LlamaConfig, heads);
    if (heads.lm && !fromConfig.lm) optionalHeads.push('lm_head.');
    if (heads.score && !fromConfig.score) optionalHeads.push('score.');
  }

  const files: string[] = [];
  const newTensors: string[] = [];
  try {
    tidy(() =>
      noGrad(() => {
        const path = join(dir, src.file);
        const dtype: DType = 'float32';
        let state: Map<string, Tensor>;
        if (src.kind === 'single') {
          state = loadSafetensors(path, { dtype });
          files.push(src.file);
        } else {
          state = loadShardedSafetensors(path, { dtype });
          files.push(src.file, ...new Set(Object.values(JSON.parse(readFileSync(path, 'utf8')).weight_map as Record<string, string>)));
        }
        const own = model.stateDict();
        const basePrefix = family === 'bert' ? 'bert.' : 'model.';
        state = normalizeKeys(state, new Set(own.keys()), basePrefix);
        if (family !== 'bert') {
          const c = config as LlamaConfig;
          // Tied: lm_head is model.embed_tokens (save_pretrained drops the alias; some checkpoints keep it).
          if (c.tie_word_embeddings) state.delete('lm_head.weight');
          const heads = (model as LlamaForCausalLM).heads;
          if (!heads.lm) state.delete('lm_head.weight');
          if (!heads.score) state.delete('score.weight');
        } else if (opts.allowNewHead) {
          for (const k of [...state.keys()]) if (/^(cls|lm_head|score)\./.test(k)) state.delete(k);
        }
        const missing = [...own.keys()].filter((k) => !state.has(k));
        const fresh = missing.filter((k) => optionalHeads.some((p) => k.startsWith(p)));
        newTensors.push(...fresh);
        const strictMissing = missing.filter((k) => !fresh.includes(k));
        const unexpected = [...state.keys()].filter((k) => !own.has(k));
        if (strictMissing.length || unexpected.length) {
          const parts: string[] = [];
          const list = (xs: string[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, ... (${xs.length - 10} more)` : '');
          if (strictMissing.length) parts.push(`missing tensor(s) ${list(strictMissing)}`);
          if (unexpected.length) parts.push(`unexpected tensor(s) ${list(unexpected)}`);
          throw modelError(dir, `weights (${src.file}) do not match ${arch} built from config.json: ${parts.join('; ')}`);
        }
        model.loadStateDict(state, { strict: false, source: `${dir} (${src.file})` });
      }),
    );
  } catch (err) {
    model.dispose();
    if (err instanceof DisrankerError && !err.message.includes(dir)) throw modelError(dir, err.message, err);
    throw err;
  }
  model.eval();
  if (opts.dtype && opts.dtype !== 'float32') model.toDType(opts.dtype);
  if (opts.device && opts.device !== 'cpu') model.toDevice(opts.device);
  const cardPath = join(dir, MODEL_CARD_FILE);
  const card = existsSync(cardPath) ? (readJson(cardPath, dir) as ModelCard) : null;
  let adapter: LoraAdapter | null = null;
  const adapterDir = opts.adapter ?? (existsSync(join(dir, ADAPTER_CONFIG_FILE)) ? dir : undefined);
  if (adapterDir) adapter = loadLoraAdapter(adapterDir, model);
  return { model, architecture: arch, rawConfig: raw, dir, weightFiles: files, card, adapter, newTensors };
}

// ---- save ------------------------------------------------------------------------------------------------

export interface SaveHfOptions {
  /** Extra config.json fields to keep (e.g. LoadedHfModel.rawConfig: id2label, transformers_version, ...). */
  rawConfig?: Record<string, unknown>;
  /** What trained the model; written as model_card.json. */
  card?: ModelCard;
  /** Shard above this many bytes of tensor data. Default 5 GB (save_pretrained's default). */
  maxShardBytes?: number;
  /** On-disk dtype (e.g. bfloat16); default the parameters' dtype. */
  dtype?: DType;
}

/** The architectures config.json lists for a model. */
export function architecturesOf(model: HfModel): Architecture[] {
  if (model instanceof BertForSequenceClassification) return ['BertForSequenceClassification'];
  const fam = model.config.model_type === 'qwen2' ? 'Qwen2' : 'Llama';
  const out: Architecture[] = [];
  if (model.heads.lm) out.push(`${fam}ForCausalLM`);
  if (model.heads.score) out.push(`${fam}ForSequenceClassification`);
  return out;
}

/** config.json for a model: its typed config (HF names) over the raw extras, sorted keys. */
export function hfConfigJson(model: HfModel, dtype: DType, extras: Record<string, unknown> = {}): Record<string, unknown> {
  const { num_labels, ...fields } = model.config as (BertConfig | LlamaConfig) & { num_labels: number };
  const out: Record<string, unknown> = { ...extras, ...fields };
  const labels = extras.id2label && typeof extras.id2label === 'object' && Object.keys(extras.id2label).length === num_labels ? (extras.id2label as Record<string, string>) : null;
  out.id2label = labels ?? Object.fromEntries(Array.from({ length: num_labels }, (_, i) => [String(i), `LABEL_${i}`]));
  out.label2id = Object.fromEntries(Object.entries(out.id2label as Record<string, string>).map(([i, l]) => [l, Number(i)]));
  delete out.num_labels;
  out.architectures = architecturesOf(model);
  out.model_type = model instanceof BertForSequenceClassification ? 'bert' : model.config.model_type;
  out.torch_dtype = dtype;
  return out;
}

const WEIGHT_FILE_RE = /^model(\.[\w-]+)?\.safetensors$|^model\.safetensors\.index(\.[\w-]+)?\.json$|^model(\.[\w-]+)?-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Writes the folder: weights (one file, or shards + index above maxShardBytes), model_card.json, config.json.
 * Everything is written into a temporary sibling folder first; a new folder is then renamed into place in one
 * step, an existing one gets each file renamed over (config.json last) and loses weight files of an older
 * layout. Returns the files written.
 */
export function saveHfModel(dir: string, model: HfModel, opts: SaveHfOptions = {}): string[] {
  const parent = dirname(resolve(dir));
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  mkdirSync(tmp);
  try {
    const files = tidy(() =>
      noGrad(() => {
        const state = new Map<string, Tensor>();
        let dtype: DType = 'float32';
        for (const [k, p] of model.stateDict()) {
          const t = opts.dtype && p.isFloatingPoint() && p.dtype !== opts.dtype ? p.detach().to(opts.dtype) : p.detach();
          dtype = t.dtype;
          state.set(k, t.device === 'cpu' ? t : t.to('cpu'));
        }
        const written = saveShardedSafetensors(tmp, state, opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES, { format: 'pt' });
        if (written.length > 1) written.push(WEIGHTS_INDEX_FILE);
        return { written, dtype };
      }),
    );
    const out = [...files.written];
    const card = { ...opts.card };
    writeFileAtomicSync(join(tmp, MODEL_CARD_FILE), stableJson(modelCardJson(model, files.dtype, out, card)));
    out.push(MODEL_CARD_FILE);
    writeFileAtomicSync(join(tmp, CONFIG_FILE), stableJson(hfConfigJson(model, files.dtype, opts.rawConfig)));
    out.push(CONFIG_FILE);
    if (!existsSync(dir)) {
      renameSync(tmp, dir);
      return out;
    }
    for (const f of readdirSync(dir)) if (WEIGHT_FILE_RE.test(f) && !out.includes(f)) rmSync(join(dir, f));
    for (const f of out) if (f !== CONFIG_FILE) renameSync(join(tmp, f), join(dir, f));
    renameSync(join(tmp, CONFIG_FILE), join(dir, CONFIG_FILE));
    rmSync(tmp, { recursive: true, force: true });
    return out;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function modelCardJson(model: HfModel, dtype: DType, files: string[], card: ModelCard): Record<string, unknown> {
  return {
    card_version: 1,
    model: {
      architectures: architecturesOf(model),
      num_parameters: model.numParameters(),
      dtype,
      weight_files: [...files].sort(),
    },
    ...card,
  };
}

// ---- LoRA adapters -------------------------------------------------------------------------------------

/** adapter_config.json as PEFT writes it (the LoRA fields, plus PEFT's bookkeeping defaults). */
export function adapterConfigJson(c: LoraConfig, baseModel: string | null): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: c.bias,
    fan_in_fan_out: c.fan_in_fan_out,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.lora_alpha,
    lora_dropout: c.lora_dropout,
    modules_to_save: c.modules_to_save,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: typeof c.target_modules === 'string' ? c.target_modules : [...c.target_modules].sort(),
    task_type: c.task_type,
    use_rslora: c.use_rslora,
  };
}

/** Writes adapter_config.json and adapter_model.safetensors (PEFT names) into dir, and model_card.json when given. */
export function saveLoraAdapter(dir: string, adapter: LoraAdapter, opts: { baseModel?: string; card?: ModelCard } = {}): string[] {
  mkdirSync(dir, { recursive: true });
  tidy(() =>
    noGrad(() => {
      const state = new Map<string, Tensor>();
      for (const [k, t] of adapter.namedParameters()) state.set(k, t.device === 'cpu' ? t.detach() : t.detach().to('cpu'));
      saveSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), state, { format: 'pt' });
    }),
  );
  const files = [ADAPTER_WEIGHTS_FILE];
  if (opts.card) {
    writeFileAtomicSync(join(dir, MODEL_CARD_FILE), stableJson({ card_version: 1, adapter: { peft_type: 'LORA', r: adapter.config.r }, ...opts.card }));
    files.push(MODEL_CARD_FILE);
  }
  writeFileAtomicSync(join(dir, ADAPTER_CONFIG_FILE), stableJson(adapterConfigJson(adapter.config, opts.baseModel ?? null)));
  files.push(ADAPTER_CONFIG_FILE);
  return files;
}

/** Reads a PEFT LoRA folder and attaches it to `model` (not merged). */
export function loadLoraAdapter(dir: string, model: HfModel): LoraAdapter {
  const cfgPath = join(dir, ADAPTER_CONFIG_FILE);
  if (!existsSync(cfgPath)) throw modelError(dir, 'no adapter_config.json: not a LoRA adapter folder');
  const raw = readJson(cfgPath, dir);
  if (raw.peft_type !== 'LORA') throw modelError(dir, `adapter_config.json: peft_type ${JSON.stringify(raw.peft_type)} is not supported (only LORA)`);
  const weights = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(weights)) throw modelError(dir, `no ${ADAPTER_WEIGHTS_FILE} (adapter_model.bin is not supported)`);
  let adapter: LoraAdapter;
  try {
    adapter = new LoraAdapter(model, loraConfig(pick(raw, LORA_DEFAULTS) as Partial<LoraConfig>));
  } catch (err) {
    throw modelError(dir, `adapter_config.json: ${(err as Error).message}`, err);
  }
  try {
    tidy(() => {
      const dtype = model.parameters()[0].dtype;
      let state = loadSafetensors(weights, { dtype });
      // PEFT sometimes keeps the adapter name in saved keys (`lora_A.default.weight`); drop it.
      state = new Map([...state].map(([k, v]) => [k.replace(/\.lora_([AB])\.default\.weight$/, '.lora_$1.weight').replace(/\.modules_to_save\.default\./, '.'), v]));
      const device = model.parameters()[0].device;
      if (device !== 'cpu') state = new Map([...state].map(([k, v]) => [k, v.to(device)]));
      adapter.loadWeights(state, `${dir} (${ADAPTER_WEIGHTS_FILE})`);
    });
  } catch (err) {
    adapter.detach();
    throw err;
  }
  return adapter;
}

export { PEFT_PREFIX };
