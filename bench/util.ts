// Helpers shared by the bench scripts: running a script as a command, parsing its flags with their defaults
// shown in --help, and the median every bench reports.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Median of a sample (mean of the two middle values for an even count). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === url;
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** the default (strings only; booleans default to false) */
  default?: string;
  help: string;
}

/**
 * Parses `argv` against `flags`; `--help` prints the usage with each default and exits.
 * Returns string values (the bench validates numbers with src/util/flags.ts) and booleans.
 */
export function benchArgs<F extends Record<string, FlagSpec>>(
  usage: string,
  flags: F,
  argv = process.argv.slice(2),
): { [K in keyof F]: F[K]['type'] extends 'boolean' ? boolean : F[K] extends { default: string } ? string : string | undefined } {
  const options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }> = { help: { type: 'boolean' } };
  for (const [k, f] of Object.entries(flags)) options[k] = f.type === 'boolean' ? { type: 'boolean', default: false } : { type: 'string', default: f.default };
  const { values } = parseArgs({ args: argv, options, strict: true });
  if (values.help) {
    const lines = Object.entries(flags).map(([k, f]) => {
      const flag = f.type === 'boolean' ? `--${k}` : `--${k} <value>`;
      return `  ${flag.padEnd(22)} ${f.help}${f.default !== undefined ? ` (default: ${f.default})` : ''}`;
    });
    process.stdout.write(`${usage}\n\nOptions:\n${lines.join('\n')}\n  --help                 show this help\n`);
    process.exit(0);
  }
  return values as never;
}

/** Runs a bench's main like the CLI runs a command: a user error prints `disranker: message` and exits 1. */
export async function runMain(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err as Error & { code?: string };
    console.error(e?.name === 'DisrankerError' || e?.name === 'InputError' || e?.code?.startsWith?.('DR_ERR') ? `disranker: ${e.message}` : (e?.stack ?? String(err)));
    process.exitCode = 1;
  }
}
