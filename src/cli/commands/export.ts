// `disranker export onnx MODEL_DIR --out DIR`: the cross-encoder or the decoder's score model as an ONNX folder
// that `disranker serve` runs without libtorch.
import type { Command } from 'commander';

export function registerExport(program: Command): void {
  const exp = program.command('export').description('export a model for serving (onnx)');
  exp
    .command('onnx')
    .description('write MODEL_DIR (BERT cross-encoder or decoder score model) as an ONNX folder: model.onnx + config + tokenizer')
    .argument('<model>', 'Hugging Face model folder (config.json + safetensors)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--tokenizer <dir>', 'tokenizer folder (default: the model folder)')
    .option('--int8', 'int8 dynamic quantisation of the encoder/decoder layers (default: float32)')
    .option('--json', 'print one JSON object')
    .action(async (model: string, opts: { out: string; tokenizer?: string; int8?: boolean; json?: boolean }) => {
      const { exportOnnx } = await import('../../models/onnx/export.js');
      const r = exportOnnx(model, opts.out, { tokenizer: opts.tokenizer, quantize: opts.int8 ? 'int8' : undefined });
      if (opts.json) {
        console.log(JSON.stringify({ out: r.out, files: r.files, bytes: r.bytes, ...r.meta }));
      } else {
        const mb = (r.bytes / 1e6).toFixed(1);
        console.log(`exported ${r.meta.architecture} (${r.meta.kind}${r.meta.quantize ? `, ${r.meta.quantize}` : ''}) to ${r.out}: ${r.files.join(', ')} (model.onnx ${mb} MB, opset ${r.meta.opset})`);
      }
    });
}
