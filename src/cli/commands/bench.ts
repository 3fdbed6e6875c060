// `disranker bench <what>`: speed measurements, each reported as JSON.
import type { Command } from 'commander';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('measure speed (engine, tokenizer)');
  bench
    .command('engine')
    .description('train the reference BERT (4 layers, hidden 256) and time training and forward steps')
    .option('--dtype <dtype>', 'compute dtype: fp32 or bf16 (bf16 = mixed precision, fp32 master weights)', 'fp32')
    .option('--steps <n>', 'timed training steps', '5')
    .option('--warmup <n>', 'warm-up steps', '2')
    .option('--batch <n>', 'batch size', '16')
    .option('--seq <n>', 'sequence length', '128')
    .option('--threads <n>', 'intra-op threads (default: the engine default for this host)')
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      const { benchEngine } = await import('../bench/engine.js');
      await benchEngine(opts);
    });
  bench
    .command('tokenizer')
    .description('time BERT pair encoding (query + passage, truncated and padded to --seq tokens)')
    .option('--tokenizer <dir>', 'tokenizer folder (default: ../shared bert-base-uncased, else one trained on generated text)')
    .option('--batch <n>', 'pairs per batch', '32')
    .option('--seq <n>', 'max length in tokens', '128')
    .option('--seconds <n>', 'seconds to time', '3')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      const { benchTokenizer } = await import('../bench/tokenizer.js');
      await benchTokenizer(opts);
    });
}
