// Process groups on torch's c10d (TCPStore rendezvous + ProcessGroupGloo on CPU), as a typed handle.
//
// Every collective is synchronous and waits at most the group's timeout: a peer that dies (its sockets close) or
// stalls makes the others throw a DR_ERR_DISTRIBUTED error that names the op and, when it can tell, the lost rank.
// The addon may be built without Gloo (libgloo-dev missing); then distributedAvailable() is false and
// initProcessGroup() says "distributed support not built".
import { hostname } from 'node:os';
import { DisrankerError } from '../util/errors.js';
import { nat, Tensor } from './tensor.js';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

export interface ProcessGroupOptions {
  /** host of rank 0's TCPStore (torchrun's MASTER_ADDR) */
  masterAddr: string;
  /** its port (MASTER_PORT) */
  masterPort: number;
  rank: number;
  worldSize: number;
  /** how long a rendezvous or a collective may wait for the peers (default 300 s, DISRANKER_DIST_TIMEOUT_MS) */
  timeoutMs?: number;
  /** the network interface Gloo binds to (GLOO_SOCKET_IFNAME); default: loopback for a loopback master, else the hostname's address */
  iface?: string;
}

/** The torchrun variables of this process, or null when WORLD_SIZE is unset. */
export interface TorchrunEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

export const DEFAULT_DIST_TIMEOUT_MS = 300_000;

export function distributedAvailable(): boolean {
  try {
    return nat().distAvailable() as boolean;
  } catch {
    return false;
  }
}

/** RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT as torchrun sets them; null when WORLD_SIZE is unset. */
export function torchrunEnv(env: NodeJS.ProcessEnv = process.env): TorchrunEnv | null {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE.trim() === '') return null;
  const int = (name: string, dflt?: number): number => {
    const v = env[name];
    if ((v === undefined || v.trim() === '') && dflt !== undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new DisrankerError('DR_ERR_USAGE', `${name}=${v ?? ''} is not a non-negative integer (torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)`);
    return n;
  };
  const worldSize = int('WORLD_SIZE');
  const rank = int('RANK');
  if (worldSize < 1 || rank >= worldSize) throw new DisrankerError('DR_ERR_USAGE', `RANK=${rank} is outside WORLD_SIZE=${worldSize}`);
  const masterPort = int('MASTER_PORT', 29500);
  if (masterPort < 1 || masterPort > 65535) throw new DisrankerError('DR_ERR_USAGE', `MASTER_PORT=${masterPort} is not a TCP port`);
  return { rank, worldSize, localRank: int('LOCAL_RANK', rank), masterAddr: env.MASTER_ADDR?.trim() || '127.0.0.1', masterPort };
}

export function distTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.DISRANKER_DIST_TIMEOUT_MS;
  if (v === undefined || v.trim() === '') return DEFAULT_DIST_TIMEOUT_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100) throw new DisrankerError('DR_ERR_USAGE', `DISRANKER_DIST_TIMEOUT_MS=${v} must be an integer ≥ 100 (milliseconds)`);
  return n;
}

interface Peer {
  pid: number;
  host: string;
}

function hostCode(h: string): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < h.length; i++) x = Math.imul(x ^ h.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A c10d process group. Collectives act in place on contiguous CPU tensors. */
export class ProcessGroup {
  private id: number;
  private peers: Peer[] = [];

  private constructor(
    id: number,
    readonly rank: number,
    readonly worldSize: number,
    readonly timeoutMs: number,
  ) {
    this.id = id;
  }

  /** Joins the group: rank 0 hosts the TCPStore, everyone connects Gloo's pairs. Blocks until all ranks arrived (or the timeout). */
  static init(o: ProcessGroupOptions): ProcessGroup {
    if (!distributedAvailable()) {
      throw new DisrankerError(
        'DR_ERR_DISTRIBUTED',
        'distributed support not built: the engine was compiled without Gloo. Install libgloo-dev (apt-get install libgloo-dev) and run `node scripts/build-native.mjs --force`.',
      );
    }
    const timeoutMs = o.timeoutMs ?? distTimeoutMs();
    const iface = o.iface ?? process.env.GLOO_SOCKET_IFNAME;
    let id: number;
    try {
      id = nat().distInit(o.masterAddr, o.masterPort, o.rank, o.worldSize, timeoutMs, iface ? `if:${iface}` : '') as number;
    } catch (err) {
      throw new DisrankerError(
        'DR_ERR_DISTRIBUTED',
        `rank ${o.rank} of ${o.worldSize} could not join the group at ${o.masterAddr}:${o.masterPort} within ${timeoutMs} ms: ${stripPrefix(err)}. ` +
          'Check that every worker uses the same MASTER_ADDR/MASTER_PORT, that the port is free on the master and open in its firewall (see docs/distributed.md).',
        { cause: err },
      );
    }
    const pg = new ProcessGroup(id, o.rank, o.worldSize, timeoutMs);
    // Who is who: on a failure, a peer on this host whose process is gone is named as the lost rank.
    const me = new Tensor(nat().fromBuffer(new Float64Array([process.pid, hostCode(hostname())]), [2], 1));
    const all = pg.allGather(me);
    pg.peers = all.map((t) => {
      const [pid, host] = t.toArray() as number[];
      t.dispose();
      return { pid, host: String(host) };
    });
    me.dispose();
    return pg;
  }

  /** From torchrun's variables (null when WORLD_SIZE is unset or 1). */
  static fromTorchrunEnv(env: NodeJS.ProcessEnv = process.env): ProcessGroup | null {
    const e = torchrunEnv(env);
    if (!e || e.worldSize === 1) return null;
    return ProcessGroup.init({ masterAddr: e.masterAddr, masterPort: e.masterPort, rank: e.rank, worldSize: e.worldSize, timeoutMs: distTimeoutMs(env) });
  }

  allReduce(tensors: Tensor[], op: ReduceOp = 'sum'): void {
    this.run('allReduce', () => nat().distAllReduce(this.id, tensors.map((t) => t.handle), op));
  }

  broadcast(tensors: Tensor[], root = 0): void {
    this.run('broadcast', () => nat().distBroadcast(this.id, tensors.map((t) => t.handle), root));
  }

  /** One new tensor per rank (the caller owns them). */
  allGather(t: Tensor): Tensor[] {
    const hs = this.run('allGather', () => nat().distAllGather(this.id, t.handle) as number[]);
    return hs.map((h) => new Tensor(h));
  }

  /**
   * Averages the gradients of `params` over the group, in buckets of about `bucketBytes` (default 25 MB), all-reduced
   * in place. A parameter without a gradient counts as zeros and gets one when any rank had one. Returns the
   * milliseconds spent in the collectives.
   */
  averageGradients(params: Tensor[], bucketBytes = 25 * 1024 * 1024): number {
    return this.run('allReduce of the gradients', () => nat().distReduceGrads(this.id, params.map((p) => p.handle), bucketBytes) as number);
  }

  barrier(): void {
    this.run('barrier', () => nat().distBarrier(this.id));
  }

  destroy(): void {
    if (this.id >= 0) {
      try {
        nat().distDestroy(this.id);
      } finally {
        this.id = -1;
      }
    }
  }

  /** The ranks on this host whose process is gone (what a failed collective reports as lost). */
  lostRanks(): number[] {
    const here = String(hostCode(hostname()));
    return this.peers.flatMap((p, r) => (r !== this.rank && p.host === here && !pidAlive(p.pid) ? [r] : []));
  }

  private run<T>(op: string, f: () => T): T {
    if (this.id < 0) throw new DisrankerError('DR_ERR_DISTRIBUTED', `${op}: the process group is destroyed`);
    try {
      return f();
    } catch (err) {
      // Give a killed peer's process a moment to be reaped before asking which one is gone.
      let lost = this.lostRanks();
      for (let i = 0; i < 20 && lost.length === 0 && this.peers.length; i++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        lost = this.lostRanks();
      }
      const who = lost.length
        ? `lost rank ${lost.join(', ')} (its process is gone)`
        : this.worldSize === 2
          ? `lost rank ${1 - this.rank} (the only peer: gone, unreachable or stalled)`
          : 'a peer was lost or stalled';
      throw new DisrankerError(
        'DR_ERR_DISTRIBUTED',
        `${op} failed on rank ${this.rank} of ${this.worldSize}: ${who}; timeout ${this.timeoutMs} ms. ${stripPrefix(err)}`,
        { cause: err },
      );
    }
  }
}

function stripPrefix(err: unknown): string {
  return (err as Error).message.replace(/^dist\w+: /, '');
}
