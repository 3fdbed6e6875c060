// `disranker generate MODEL --query Q ...`: what a decoder learnt in CPT — the query in, a result title out.
import type { Command } from 'commander';
import { intFlag, positiveFlag } from '../../util/flags.js';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('continue "query: Q document:" with a decoder (LLaMA/Qwen2 folder), greedy or top-k')
    .argument('<model>', 'Hugging Face model folder (config.json + safetensors)')
    .requiredOption('-q, --query <text...>', 'one or more queries')
    .option('--tokenizer <dir>', 'tokenizer folder (default: the model folder)')
    .option('--max-new-tokens <n>', 'tokens to generate at most', '32')
    .option('--top-k <k>', 'sample from the k most likely tokens (1 = greedy)', '1')
    .option('--temperature <t>', 'divides the logits before sampling', '1')
    .option('--seed <n>', 'seed of the sampler', '0')
    .option('--json', 'print one JSON object')
    .action(async (model: string, opts: { query: string[]; tokenizer?: string; maxNewTokens: string; topK: string; temperature: string; seed: string; json?: boolean }) => {
      const { runGenerate } = await import('../actions/generate.js');
      await runGenerate(model, {
        queries: opts.query,
        tokenizer: opts.tokenizer,
        maxNewTokens: intFlag('--max-new-tokens', opts.maxNewTokens, 1),
        topK: intFlag('--top-k', opts.topK, 1),
        temperature: positiveFlag('--temperature', opts.temperature),
        seed: intFlag('--seed', opts.seed),
        json: Boolean(opts.json),
      });
    });
}
