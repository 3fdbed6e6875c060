// Grad mode, gradient utilities, seeding and mixed precision.
import { DTYPE_CODES, type DType } from './dtype.js';
import { nat, type Tensor } from './tensor.js';

/** Runs fn with gradient recording off (torch.no_grad()); the previous mode is restored even on throw. */
export function noGrad<T>(fn: () => T): T {
  const prev = nat().setGradEnabled(false) as boolean;
  try {
    return fn();
  } finally {
    nat().setGradEnabled(prev);
  }
}

/** A guard for `using _ = noGradGuard();` — gradients are off until the block ends. */
export function noGradGuard(): { [Symbol.dispose](): void } {
  const prev = nat().setGradEnabled(false) as boolean;
  return { [Symbol.dispose]: () => void nat().setGradEnabled(prev) };
}

export function isGradEnabled(): boolean {
  return nat().isGradEnabled() as boolean;
}

/** Clears (sets to none) the gradients of the given tensors. */
export function zeroGrad(params: Tensor[]): void {
  nat().zeroGrad(params.map((p) => p.handle));
}

/** torch.nn.utils.clip_grad_norm_: scales all gradients so their global L2 norm is at most maxNorm. Returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return nat().clipGradNorm(params.map((p) => p.handle), maxNorm) as number;
}

/** Seeds torch's default generator (randn, rand, dropout, init). */
export function manualSeed(seed: number): void {
  nat().manualSeed(seed);
}

/**
 * Runs fn under autocast (torch.autocast): matmuls and linears in `dtype` (bf16 by default), reductions,
 * norms and losses in float32. Parameters stay float32 ("master weights"); their gradients are float32.
 */
export function autocast<T>(fn: () => T, dtype: DType = 'bfloat16', device: 'cpu' | 'cuda' = 'cpu'): T {
  nat().autocastEnter(DTYPE_CODES[dtype], device);
  try {
    return fn();
  } finally {
    nat().autocastExit(device);
  }
}

/** Number of tensors alive in the addon (for leak checks). */
export function liveTensors(): number {
  return nat().liveCount() as number;
}

export interface AllocatorStats {
  installed: boolean;
  cachedBytes: number;
  inUseBytes: number;
  peakInUseBytes: number;
  hits: number;
  misses: number;
}
/** The caching CPU allocator's counters; `emptyCache` returns cached blocks to the system first. */
export function allocatorStats(emptyCache = false): AllocatorStats {
  return nat().allocatorStats(emptyCache) as AllocatorStats;
}

export function cudaAvailable(): boolean {
  return nat().cudaAvailable() as boolean;
}
export function cudaDeviceCount(): number {
  return nat().cudaDeviceCount() as number;
}
export function cudaSynchronize(): void {
  nat().cudaSynchronize();
}

export interface BuildInfo {
  torchVersion: string;
  cxx11Abi: number;
  cudaBuild: boolean;
  parallelInfo: string;
}
export function buildInfo(): BuildInfo {
  return nat().buildInfo() as BuildInfo;
}
