// `--nproc N` (and --nnodes, --node-rank, --master-addr, --master-port): runs the same command as N worker
// processes with torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// one intra-op thread each unless DISRANKER_THREADS says otherwise. The workers join one c10d group
// (src/train/distributed.ts). Rank 0's output is forwarded; the others' stderr is shown when they fail. The launcher
// fails when any worker fails; once one has failed, the others get a grace period to stop on their own (they see
// the lost peer at their next collective), then SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { Option, type Command } from 'commander';
import { DisrankerError } from '../util/errors.js';
import { int } from '../util/flags.js';
import { freePort } from '../util/net.js';

export interface LaunchFlags {
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

export const DEFAULT_MASTER_PORT = 29500;

/** Adds --nproc, --nnodes, --node-rank, --master-addr, --master-port to a command. */
export function addLaunchOptions(cmd: Command, what = 'data-parallel training'): Command {
  return cmd
    .addOption(new Option('--nproc <n>', `worker processes on this machine (${what}; 1 intra-op thread each; docs/distributed.md)`).argParser((raw) => int(1, 256)('--nproc', raw)))
    .addOption(new Option('--nnodes <n>', 'machines in the job (each runs this command with its --node-rank)').argParser((raw) => int(1, 4096)('--nnodes', raw)))
    .addOption(new Option('--node-rank <i>', "this machine's index, 0 … nnodes−1 (0 hosts the rendezvous)").argParser((raw) => int(0)('--node-rank', raw)))
    .addOption(new Option('--master-addr <host>', "node 0's address (default 127.0.0.1 on one machine)"))
    .addOption(new Option('--master-port <port>', `node 0's rendezvous port (default: a free port on one machine, ${DEFAULT_MASTER_PORT} across machines)`).argParser((raw) => int(1, 65535)('--master-port', raw)));
}

/** True when this process is a worker started by a launcher (or torchrun). */
export function isWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WORLD_SIZE !== undefined && env.WORLD_SIZE.trim() !== '';
}

/**
 * Starts the workers when the flags ask for more than one process and this process is not already a worker.
 * Returns true when it did (the caller's work is done: the workers did it), false when the caller should run itself.
 */
export async function launchIfAsked(
  f: LaunchFlags,
  o: { argv?: string[]; env?: NodeJS.ProcessEnv; extraArgs?: (rank: number, world: number) => string[]; quiet?: boolean } = {},
): Promise<boolean> {
  const argv = o.argv ?? process.argv;
  const env = o.env ?? process.env;
  const nproc = f.nproc ?? 1;
  const nnodes = f.nnodes ?? 1;
  if (isWorker(env) || nproc * nnodes <= 1) return false;
  const nodeRank = f.nodeRank ?? 0;
  if (nodeRank >= nnodes) throw new DisrankerError('DR_ERR_USAGE', `--node-rank ${nodeRank} is outside --nnodes ${nnodes} (0 … ${nnodes - 1})`);
  if (nnodes > 1 && !f.masterAddr) throw new DisrankerError('DR_ERR_USAGE', `--nnodes ${nnodes}: pass --master-addr (node 0's address, reachable from every machine)`);
  const masterAddr = f.masterAddr ?? '127.0.0.1';
  const masterPort = f.masterPort ?? (nnodes === 1 ? await freePort() : DEFAULT_MASTER_PORT);
  const world = nproc * nnodes;
  const graceMs = Number(env.DISRANKER_LAUNCH_GRACE_MS ?? 15_000);
  if (nodeRank === 0 && !o.quiet) console.error(`disranker: starting ${nproc} worker(s) on this machine, ${world} in all (rendezvous ${masterAddr}:${masterPort})`);

  const children: { rank: number; proc: ChildProcess; tail: string; code: number | null; signal: NodeJS.Signals | null; done: boolean }[] = [];
  const exited = new Promise<void>((resolveAll) => {
    let left = nproc;
    let failed = false;
    for (let local = 0; local < nproc; local++) {
      const rank = nodeRank * nproc + local;
      const proc = spawn(process.execPath, [...process.execArgv, ...argv.slice(1), ...(o.extraArgs?.(rank, world) ?? [])], {
        env: {
          ...env,
          RANK: String(rank),
          WORLD_SIZE: String(world),
          LOCAL_RANK: String(local),
          LOCAL_WORLD_SIZE: String(nproc),
          GROUP_RANK: String(nodeRank),
          MASTER_ADDR: masterAddr,
          MASTER_PORT: String(masterPort),
          DISRANKER_THREADS: env.DISRANKER_THREADS ?? '1',
          OPENBLAS_NUM_THREADS: env.OPENBLAS_NUM_THREADS ?? '1',
        },
        stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
      });
      const c = { rank, proc, tail: '', code: null as number | null, signal: null as NodeJS.Signals | null, done: false };
      children.push(c);
      proc.stderr?.on('data', (d: Buffer) => {
        c.tail = (c.tail + d.toString('utf8')).slice(-8000);
      });
      proc.on('exit', (code, signal) => {
        c.code = code;
        c.signal = signal;
        c.done = true;
        left--;
        const bad = code !== 0;
        if (bad) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          console.error(`disranker: worker rank ${rank} (pid ${proc.pid}) ${how}`);
          if (rank !== 0 && c.tail.trim()) console.error(c.tail.trimEnd().split('\n').map((l) => `[rank ${rank}] ${l}`).join('\n'));
          if (!failed) {
            failed = true;
            // the others stop on their own at their next collective; whoever is still there after the grace period is stopped
            setTimeout(() => {
              for (const o of children) if (!o.done) o.proc.kill('SIGTERM');
            }, graceMs).unref();
          }
        }
        if (left === 0) resolveAll();
      });
    }
  });
  const forward = (sig: NodeJS.Signals) => () => {
    for (const c of children) if (!c.done) c.proc.kill(sig);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await exited;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const failed = children.filter((c) => c.code !== 0);
  if (failed.length) {
    throw new DisrankerError('DR_ERR_DISTRIBUTED', `${failed.length} of ${nproc} worker(s) failed (rank ${failed.map((c) => c.rank).join(', ')}); a rerun of the same command resumes from the last checkpoint, if one was written`);
  }
  return true;
}
