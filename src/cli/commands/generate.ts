// `disranker generate MODEL --query Q ...`: what a decoder learnt in CPT — the query in, a result title out.
import type { Command } from 'commander';
import { GENERATE_DEFAULTS, MAX_NEW_TOKENS } from '../../models/defaults.js';
import { addOptions, int, positive } from '../options.js';

export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .description('continue "query: Q document:" with a decoder (LLaMA/Qwen2 folder), greedy or top-k')
    .argument('<model>', 'Hugging Face model folder (config.json + safetensors)')
    .requiredOption('-q, --query <text...>', 'one or more queries')
    .option('--tokenizer <dir>', 'tokenizer folder (default: the model folder)')
    .option('--max-new-tokens <n>', 'tokens to generate at most', (raw: string) => int(1, MAX_NEW_TOKENS)('--max-new-tokens', raw), GENERATE_DEFAULTS.maxNewTokens)
    .option('--top-k <k>', 'sample from the k most likely tokens (1 = greedy)', (raw: string) => int(1)('--top-k', raw), GENERATE_DEFAULTS.topK)
    .option('--temperature <t>', 'divides the logits before sampling', (raw: string) => positive('--temperature', raw), GENERATE_DEFAULTS.temperature);
  addOptions(cmd, ['seed', GENERATE_DEFAULTS.seed, { help: 'seed of the sampler (0 … 2^32−1)' }], ['json']);
  cmd.action(async (model: string, opts: { query: string[]; tokenizer?: string; maxNewTokens: number; topK: number; temperature: number; seed: number; json?: boolean }) => {
    const { runGenerate } = await import('../actions/generate.js');
    await runGenerate(model, { ...opts, queries: opts.query, json: Boolean(opts.json) });
  });
}
