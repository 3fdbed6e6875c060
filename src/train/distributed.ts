// The process group of a data-parallel run, from torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// which `--nproc` (src/cli/launch.ts) or torchrun itself sets. One group per process, joined on first use.
import { ProcessGroup, torchrunEnv } from '../engine/index.js';

let group: ProcessGroup | null | undefined;

/** This process's group, or null when it runs alone (WORLD_SIZE unset or 1). */
export function worldGroup(): ProcessGroup | null {
  if (group === undefined) group = ProcessGroup.fromTorchrunEnv();
  return group;
}

/** This process's rank (0 when alone), without joining the group. */
export function worldRank(env: NodeJS.ProcessEnv = process.env): number {
  return torchrunEnv(env)?.rank ?? 0;
}

/** The world size (1 when alone), without joining the group. */
export function worldSize(env: NodeJS.ProcessEnv = process.env): number {
  return torchrunEnv(env)?.worldSize ?? 1;
}

/** True on rank 0 (or when alone): the process that writes the run folder, the model, the logs and the progress bar. */
export function isMainRank(env: NodeJS.ProcessEnv = process.env): boolean {
  return worldRank(env) === 0;
}

/**
 * Runs `f` on rank 0 first, then on the other ranks (a barrier between): what rank 0 prepares in the run folder
 * (the run marker, a tokenizer trained into it) is there when the others read it. Alone: just `f`.
 */
export async function mainFirst<T>(f: () => T | Promise<T>): Promise<T> {
  const g = worldGroup();
  if (!g) return f();
  if (g.rank === 0) {
    try {
      return await f();
    } finally {
      g.barrier();
    }
  }
  g.barrier();
  return f();
}
