// Loads the libtorch addon once. Thread settings are applied before the first tensor exists:
// OPENBLAS_NUM_THREADS must be in the environment before OpenBLAS loads (it loads with the addon).
//
// Defaults (measured fastest on 2-core hosts): 1 intra-op (OpenMP) thread, OpenBLAS on all cores.
// Override with DISRANKER_THREADS (intra-op) and OPENBLAS_NUM_THREADS, or setThreads().
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DisrankerError } from '../util/errors.js';
import { MAX_THREADS, parseThreads } from '../util/flags.js';

/** The raw addon: every function takes and returns handles (numbers). See native/src/*.cc. */
export type Native = Record<string, (...args: any[]) => any>;

const here = dirname(fileURLToPath(import.meta.url));
/** src/engine or dist/engine: the repository root is two levels up either way. */
export const ADDON_PATH = process.env.DISRANKER_ADDON ?? join(here, '..', '..', 'native', 'build', 'Release', 'disranker.node');

export const HOW_TO_GET_LIBTORCH =
  'install libtorch with `sudo apt-get install libtorch-dev` (Debian/Ubuntu), or unpack a libtorch and set ' +
  'LIBTORCH=/path/to/libtorch, then build the engine with `npm run build:native`';

let loaded: Native | undefined;
let loadError: string | undefined;

export function engineAvailable(): boolean {
  if (loaded) return true;
  if (loadError) return false;
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

export function native(): Native {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loadError = `the libtorch engine is not built (${ADDON_PATH} is missing): ${HOW_TO_GET_LIBTORCH}`;
    throw new DisrankerError('DR_ERR_ENGINE_MISSING', loadError);
  }
  // Checked before the addon (and OpenBLAS) loads: a bad value is an error naming the variable, not a libgomp crash.
  const threads = threadSettings(process.env);
  process.env.OPENBLAS_NUM_THREADS = String(threads.blas);
  let addon: Native;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Native;
  } catch (err) {
    loadError = `the libtorch engine failed to load (${(err as Error).message}); rebuild it with \`npm run build:native\`, or ${HOW_TO_GET_LIBTORCH}`;
    throw new DisrankerError('DR_ERR_ENGINE_MISSING', loadError, { cause: err });
  }
  addon.setNumThreads(threads.intra);
  addon.setBlasThreads(threads.blas);
  loaded = wrapErrors(addon);
  return loaded;
}

/**
 * The engine's thread counts from the environment: DISRANKER_THREADS (intra-op, default 1) and OPENBLAS_NUM_THREADS
 * (default: all cores), each an integer in 1 … MAX_THREADS; an empty variable counts as unset. A bad value is a
 * DR_ERR_USAGE error naming the variable.
 */
export function threadSettings(env: NodeJS.ProcessEnv, cores = availableParallelism()): { intra: number; blas: number } {
  const get = (name: string, dflt: number): number => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? dflt : parseThreads(name, v);
  };
  return { intra: get('DISRANKER_THREADS', 1), blas: get('OPENBLAS_NUM_THREADS', Math.min(cores, MAX_THREADS)) };
}

/** Sets the intra-op threads (torch's set_num_threads) and, optionally, OpenBLAS's threads (each 1 … MAX_THREADS). */
export function setThreads(intraOp: number, blas?: number): void {
  parseThreads('intra-op threads', intraOp);
  if (blas !== undefined) parseThreads('OpenBLAS threads', blas);
  const n = native();
  n.setNumThreads(intraOp);
  if (blas !== undefined) {
    n.setBlasThreads(blas);
    process.env.OPENBLAS_NUM_THREADS = String(blas);
  }
}

export function threadInfo(): { intraOp: number; blas: number } {
  return { intraOp: native().getNumThreads(), blas: Number(process.env.OPENBLAS_NUM_THREADS) };
}

/** Every native error (a c10::Error from torch) becomes a DisrankerError naming the op. */
function wrapErrors(addon: Native): Native {
  const out: Native = {};
  for (const [name, fn] of Object.entries(addon)) {
    out[name] = function (...args: unknown[]) {
      try {
        return fn(...args);
      } catch (err) {
        throw new DisrankerError('DR_ERR_ENGINE', `${name}: ${(err as Error).message}`, { cause: err });
      }
    };
  }
  return out;
}
