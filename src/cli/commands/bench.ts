// `disranker bench <what>`: speed measurements. Each bench is a script under bench/ (it imports the library like
// any user would); this command runs it with tsx and passes the arguments through, so `--help` shows the
// script's own flags and defaults.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DisrankerError } from '../../util/errors.js';

/** The package root: src/cli/commands or dist/cli/commands, three levels up. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const BENCHES: Record<string, string> = {
  engine: 'train the reference BERT (4 layers, hidden 256) and time training and forward steps',
  decoder: 'time a ranking SFT step and reranking with the teacher decoder (2 layers, hidden 128)',
  tokenizer: 'time BERT pair encoding (query + passage, truncated and padded to --seq tokens)',
  serve: 'rerank 100 documents × 128 tokens through the service at 1, 4 and 16 clients, against a bare ONNX Runtime session',
};

function runBench(name: string, args: string[]): void {
  const script = join(ROOT, 'bench', `${name}.ts`);
  if (!existsSync(script)) throw new DisrankerError('DR_ERR_FILE', `${script}: the bench script is missing from this installation`);
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(process.execPath, ['--import', tsx, script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description(`measure speed (${Object.keys(BENCHES).join(', ')}); \`disranker bench <what> --help\` lists its flags`);
  for (const [name, description] of Object.entries(BENCHES)) {
    bench
      .command(name)
      .description(description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[flags...]', 'the bench script\'s flags (see --help)')
      .action((flags: string[]) => runBench(name, flags));
  }
}
