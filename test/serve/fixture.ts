// An export folder for the serving tests, built without libtorch: a WordPiece tokenizer trained on generated text
// and a tiny BERT cross-encoder graph with seeded random weights (src/models/onnx's graph builder takes plain
// arrays), written in the layout `disranker export onnx` produces.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertConfig } from '../../src/models/bert.js';
import { bertGraph } from '../../src/models/onnx/bert.js';
import { onnxModel, EXPORT_META_FILE, ONNX_FILE, OPSET } from '../../src/models/onnx/export.js';
import { encodeModel } from '../../src/models/onnx/proto.js';
import { sampleDocuments } from '../../src/text/sample-text.js';
import { saveTrainedTokenizer, trainWordPiece } from '../../src/text/train.js';
import { mulberry32 } from '../../src/util/random.js';

export interface TinyExportOptions {
  layers?: number;
  hidden?: number;
  maxLength?: number;
  seed?: number;
}

/** Writes model.onnx, config.json, tokenizer files and disranker_export.json into dir; returns dir. */
export function writeTinyExport(dir: string, o: TinyExportOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const trained = trainWordPiece(sampleDocuments(300, 5, 40, { seed: 3 }), { vocabSize: 400, modelMaxLength: o.maxLength ?? 64 });
  saveTrainedTokenizer(dir, trained);
  const vocab = Object.keys((trained.tokenizer.model as { vocab: Record<string, number> }).vocab).length;
  const H = o.hidden ?? 32;
  const c = bertConfig({
    vocab_size: vocab,
    hidden_size: H,
    num_hidden_layers: o.layers ?? 2,
    num_attention_heads: 4,
    intermediate_size: 2 * H,
    max_position_embeddings: o.maxLength ?? 64,
  });
  const rnd = mulberry32(o.seed ?? 1);
  const weights = new Map<string, { data: Float32Array; shape: number[] }>();
  const w = (name: string) => {
    let t = weights.get(name);
    if (!t) {
      const shape = shapeOf(name, c.vocab_size, H, c.intermediate_size, c.max_position_embeddings);
      const n = shape.reduce((a, b) => a * b, 1);
      const isNorm = name.includes('LayerNorm');
      const std = shape.length === 2 ? 1 / Math.sqrt(shape[1]) : 0.1;
      const data = Float32Array.from({ length: n }, () => (isNorm && name.endsWith('weight') ? 1 : 0) + std * (rnd() * 2 - 1) * Math.sqrt(3));
      t = { data, shape };
      weights.set(name, t);
    }
    return t;
  };
  writeFileSync(join(dir, ONNX_FILE), encodeModel(onnxModel(bertGraph(c, w))));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['BertForSequenceClassification'], model_type: 'bert', ...c }, null, 2));
  writeFileSync(
    join(dir, EXPORT_META_FILE),
    JSON.stringify({
      format: 1,
      kind: 'cross-encoder',
      architecture: 'BertForSequenceClassification',
      inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
      output: 'logits',
      num_labels: 1,
      max_length: c.max_position_embeddings,
      opset: OPSET,
      quantize: null,
      source: 'test/serve/fixture.ts (random weights)',
    }),
  );
  return dir;
}

/** The shape of a BERT tensor by its state-dict name. */
function shapeOf(name: string, V: number, H: number, I: number, P: number): number[] {
  if (name.endsWith('word_embeddings.weight')) return [V, H];
  if (name.endsWith('position_embeddings.weight')) return [P, H];
  if (name.endsWith('token_type_embeddings.weight')) return [2, H];
  if (name.startsWith('classifier')) return name.endsWith('weight') ? [1, H] : [1];
  if (name.includes('intermediate.dense')) return name.endsWith('weight') ? [I, H] : [I];
  if (/layer\.\d+\.output\.dense/.test(name)) return name.endsWith('weight') ? [H, I] : [H];
  if (name.endsWith('weight') && !name.includes('LayerNorm')) return [H, H];
  return [H];
}
