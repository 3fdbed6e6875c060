// `disranker rerank`: score every candidate list of a data set split with a model folder, write a TREC run.
import type { Command } from 'commander';
import { RERANK_DEFAULTS } from '../../pipeline/defaults.js';
import { addOptions, int } from '../options.js';

export function registerRerank(program: Command): void {
  const cmd = program
    .command('rerank')
    .description('rerank the candidates of a data set split with any model folder (decoder with a score head, BERT cross-encoder); write a TREC run')
    .requiredOption('--model <dir>', 'Hugging Face model folder with its tokenizer')
    .requiredOption('--data <dir>', 'data set folder')
    .option('--split <name>', 'train | dev | test (of the judged queries) | judged | all | a name in DIR/splits', RERANK_DEFAULTS.split)
    .requiredOption('--out <file>', 'TREC run file to write')
    .option('--batch-size <n>', 'pairs per forward pass (batched by length)', (raw: string) => int(1)('--batch-size', raw), RERANK_DEFAULTS.batchSize)
    .option('--max-length <n>', 'tokens per pair', (raw: string) => int(8)('--max-length', raw), RERANK_DEFAULTS.maxLength);
  addOptions(cmd, ['tag', 'disranker'], ['bf16'], ['json', undefined, { help: 'print one JSON object (pairs/s, ms per 100 candidates)' }]);
  cmd.action(async (opts) => (await import('../actions/teacher.js')).rerankAction(opts));
}
