// Runs op cases through Python torch (Debian's /usr/bin/python3 + python3-torch) in one process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, TORCH_PYTHON } from './env.js';
import { mulberry32 } from '../../src/util/random.js';

export interface RefInput {
  data: number[];
  shape: number[];
  dtype: string;
}
export interface RefOutput {
  data: number[];
  shape: number[];
  dtype: string;
}
export type RefResult = RefOutput | RefOutput[] | { error: string };

export function torchEval(cases: { inputs: RefInput[]; expr?: string; code?: string }[], device = 'cpu'): RefResult[] {
  const r = spawnSync(TORCH_PYTHON, [join(REPO_ROOT, 'test', 'helpers', 'torch_ref.py')], {
    input: JSON.stringify({ device, cases }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: RefResult[] }).results;
}

/** A seeded PRNG (mulberry32) for test inputs. */
export const rng = mulberry32;

/** Approximately standard normal values (Box-Muller) from a seeded PRNG. */
export function normals(n: number, r: () => number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i])) && a[i] !== b[i]) return Infinity;
    } else if (d > m) m = d;
  }
  return m;
}
