// The work of `disranker generate`: load a decoder folder and its tokenizer, continue each query's prompt.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DisrankerError } from '../../util/errors.js';
import { loadTokenizer } from '../../text/index.js';
import { generateForQueries } from '../../models/generate.js';
import { assertModelFolder, loadHfModel } from '../../models/hf.js';
import { LlamaForCausalLM } from '../../models/llama.js';

export interface GenerateCommandOptions {
  queries: string[];
  tokenizer?: string;
  maxNewTokens: number;
  topK: number;
  temperature: number;
  seed: number;
  json: boolean;
}

export async function runGenerate(modelDir: string, opts: GenerateCommandOptions): Promise<void> {
  assertModelFolder(modelDir);
  if (opts.tokenizer) assertModelFolder(opts.tokenizer, 'tokenizer folder');
  const tokDir = opts.tokenizer ?? modelDir;
  if (!existsSync(join(tokDir, 'tokenizer.json'))) {
    throw new DisrankerError('DR_ERR_FILE', `${join(tokDir, 'tokenizer.json')}: missing; pass the tokenizer folder with --tokenizer`);
  }
  const tok = loadTokenizer(tokDir);
  const { model } = loadHfModel(modelDir);
  if (!(model instanceof LlamaForCausalLM)) {
    throw new DisrankerError('DR_ERR_MODEL', `${modelDir}: generation needs a decoder (LLaMA/Qwen2), this is a BERT cross-encoder`);
  }
  model.eval();
  const texts = generateForQueries(model, tok, opts.queries, {
    maxNewTokens: opts.maxNewTokens,
    topK: opts.topK,
    temperature: opts.temperature,
    seed: opts.seed,
  });
  if (opts.json) console.log(JSON.stringify({ model: modelDir, generations: opts.queries.map((query, i) => ({ query, text: texts[i] })) }));
  else opts.queries.forEach((q, i) => console.log(`${q}\n  → ${texts[i]}`));
  model.dispose();
}
