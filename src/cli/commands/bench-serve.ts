// `disranker bench serve`: the rerank service against a bare ONNX Runtime session (bench/serve.ts, run from a
// checkout with tsx). Flags are passed through; see the header of bench/serve.ts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DisrankerError } from '../../util/errors.js';

export function registerBenchServe(program: Command): void {
  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('measure speed');
  bench
    .command('serve')
    .description('rerank 100 documents × 128 tokens through the service at 1, 4 and 16 clients, against a bare ONNX Runtime session (bench/serve.ts)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', 'passed to bench/serve.ts: --model DIR --docs N --tokens N --threads N --requests N --concurrency 1,4,16 --int8 --overload-seconds S --json')
    .action(async (args: string[]) => {
      const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
      const script = join(root, 'bench', 'serve.ts');
      if (!existsSync(script)) throw new DisrankerError('DR_ERR_FILE', `${script}: missing; 'bench serve' runs from a source checkout`);
      const code = await new Promise<number>((res) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: 'inherit' });
        child.on('exit', (c) => res(c ?? 1));
      });
      process.exitCode = code;
    });
}
