// ONNX export of a Hugging Face model folder: the BERT cross-encoder or the decoder's score model, as one
// self-contained folder that `disranker serve` runs with onnxruntime alone (no libtorch):
//
//   model.onnx                 the graph, weights inside (opset 17; dynamic axes batch and sequence)
//   config.json                the model's config.json as it was
//   tokenizer.json, tokenizer_config.json, special_tokens_map.json   copied from the tokenizer folder
//   disranker_export.json      what serving needs: kind, inputs, max length, decoder template, quantisation
//
// Everything is written into a temporary sibling folder and renamed into place.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { noGrad, tidy } from '../../engine/index.js';
import { DisrankerError } from '../../util/errors.js';
import { writeFileAtomicSync } from '../../util/fs.js';
import { RANKLLAMA_TEMPLATE } from '../../text/ranking.js';
import { BertForSequenceClassification } from '../bert.js';
import { loadHfModel, stableJson, type HfModel } from '../hf.js';
import { LlamaForCausalLM } from '../llama.js';
import { bertGraph, BERT_INPUTS } from './bert.js';
import { decoderGraph, DECODER_INPUTS } from './decoder.js';
import type { LayerOptions, WeightSource } from './layers.js';
import { encodeModel, type GraphProto, type ModelProto } from './proto.js';

export const ONNX_FILE = 'model.onnx';
export const EXPORT_META_FILE = 'disranker_export.json';
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;
export const OPSET = 17;
/** IR version 8 goes with opset 17 (onnx 1.12). */
export const IR_VERSION = 8;

/** disranker_export.json: what the serving side reads to encode inputs for the graph. */
export interface ExportMeta {
  format: 1;
  /** 'cross-encoder': [CLS] query [SEP] document [SEP] → logits[:, 0]; 'decoder': RankLLaMA template + eos, pooled at the last token. */
  kind: 'cross-encoder' | 'decoder';
  architecture: string;
  inputs: string[];
  output: 'logits';
  num_labels: number;
  /** Longest input the model takes (max_position_embeddings for BERT). */
  max_length: number;
  opset: number;
  quantize: 'int8' | null;
  /** Decoder only: the ranking template ({query}, {title}, {summary}). */
  template?: string;
  source: string;
}

export interface OnnxExportOptions extends LayerOptions {
  /** Tokenizer folder (tokenizer.json ...); default the model folder. */
  tokenizer?: string;
}

/** A model's parameters as a WeightSource (float32 copies, read once each). */
export function weightsOf(model: HfModel): WeightSource {
  const state = model.stateDict();
  return (name) => {
    const t = state.get(name);
    if (!t) throw new DisrankerError('DR_ERR_MODEL', `ONNX export: the model has no tensor ${name}`);
    return tidy(() => noGrad(() => ({ data: t.detach().to('cpu').toFloat32Array(), shape: [...t.shape] })));
  };
}

/** The ONNX graph of a loaded model (BERT cross-encoder or decoder with a score head). */
export function modelGraph(model: HfModel, opts: LayerOptions = {}): { graph: GraphProto; kind: ExportMeta['kind']; inputs: string[]; maxLength: number } {
  const w = weightsOf(model);
  if (model instanceof BertForSequenceClassification) {
    return { graph: bertGraph(model.config, w, opts), kind: 'cross-encoder', inputs: [...BERT_INPUTS], maxLength: model.config.max_position_embeddings };
  }
  if (model instanceof LlamaForCausalLM) {
    if (!model.score) throw new DisrankerError('DR_ERR_MODEL', 'ONNX export: this decoder has no score head (export a *ForSequenceClassification folder)');
    return { graph: decoderGraph(model.config, w, opts), kind: 'decoder', inputs: [...DECODER_INPUTS], maxLength: model.config.max_position_embeddings };
  }
  throw new DisrankerError('DR_ERR_MODEL', 'ONNX export: unsupported model');
}

/** The bytes of a .onnx file for a loaded model. */
export function onnxBytes(model: HfModel, opts: LayerOptions = {}): Uint8Array {
  const { graph } = modelGraph(model, opts);
  return encodeModel(onnxModel(graph, opts));
}

export function onnxModel(graph: GraphProto, opts: LayerOptions = {}): ModelProto {
  return {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'disranker',
    producer_version: '0.1.0',
    graph,
    metadata_props: [{ key: 'quantize', value: opts.quantize ?? 'none' }],
  };
}

export interface OnnxExportResult {
  out: string;
  files: string[];
  meta: ExportMeta;
  bytes: number;
}

/** Exports MODEL_DIR to an ONNX folder `out` (see the file comment). */
export function exportOnnx(modelDir: string, out: string, opts: OnnxExportOptions = {}): OnnxExportResult {
  const tokDir = opts.tokenizer ?? modelDir;
  if (!existsSync(join(tokDir, 'tokenizer.json'))) {
    throw new DisrankerError(
      'DR_ERR_FILE',
      `${join(tokDir, 'tokenizer.json')}: missing; an export folder must hold its tokenizer to serve on its own (pass --tokenizer DIR)`,
    );
  }
  const loaded = loadHfModel(modelDir);
  try {
    loaded.adapter?.merge(); // a LoRA adapter is folded into the weights it adapts
    const { graph, kind, inputs, maxLength } = modelGraph(loaded.model, opts);
    const bytes = encodeModel(onnxModel(graph, opts));
    const meta: ExportMeta = {
      format: 1,
      kind,
      architecture: loaded.architecture,
      inputs,
      output: 'logits',
      num_labels: loaded.model.config.num_labels,
      max_length: maxLength,
      opset: OPSET,
      quantize: opts.quantize ?? null,
      ...(kind === 'decoder' ? { template: RANKLLAMA_TEMPLATE } : {}),
      source: resolve(modelDir),
    };
    const parent = dirname(resolve(out));
    mkdirSync(parent, { recursive: true });
    const tmp = join(parent, `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    mkdirSync(tmp);
    const files: string[] = [];
    try {
      writeFileAtomicSync(join(tmp, ONNX_FILE), bytes);
      files.push(ONNX_FILE);
      // Copied by content (not copyFileSync), so the export gets ordinary file modes even from a read-only source.
      const copy = (from: string, name: string) => writeFileAtomicSync(join(tmp, name), readFileSync(from));
      copy(join(modelDir, 'config.json'), 'config.json');
      files.push('config.json');
      for (const f of TOKENIZER_FILES) {
        if (existsSync(join(tokDir, f))) {
          copy(join(tokDir, f), f);
          files.push(f);
        }
      }
      writeFileAtomicSync(join(tmp, EXPORT_META_FILE), stableJson(meta));
      files.push(EXPORT_META_FILE);
      if (existsSync(out)) {
        for (const f of files) renameSync(join(tmp, f), join(out, f));
        rmSync(tmp, { recursive: true, force: true });
      } else {
        renameSync(tmp, out);
      }
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return { out, files, meta, bytes: bytes.length };
  } finally {
    loaded.model.dispose();
  }
}
