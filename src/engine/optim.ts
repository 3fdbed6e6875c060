// torch::optim::AdamW held by the addon, as a typed handle. src/train/optimizer.ts builds the user-facing AdamW
// (parameter groups, schedules, state files) on this; nothing outside the engine touches the raw addon.
import { nat, Tensor } from './tensor.js';

export interface NativeAdamWGroup {
  params: Tensor[];
  lr: number;
  weightDecay: number;
}

/** One parameter's state; tensors belong to the current tidy scope. */
export interface NativeAdamWParamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq?: Tensor;
}

export class NativeAdamW {
  private readonly id: number;

  constructor(groups: NativeAdamWGroup[], betas: [number, number], eps: number, amsgrad: boolean) {
    this.id = nat().adamwCreate(
      groups.map((g) => ({ params: g.params.map((p) => p.handle), lr: g.lr, weightDecay: g.weightDecay })),
      betas[0],
      betas[1],
      eps,
      amsgrad,
    ) as number;
  }

  step(): void {
    nat().adamwStep(this.id);
  }

  setLr(group: number, lr: number): void {
    nat().adamwSetLr(this.id, group, lr);
  }

  /** The state of every parameter, in group order (null: not stepped yet). */
  getState(): (NativeAdamWParamState | null)[] {
    const raw = nat().adamwGetState(this.id) as ({ step: number; expAvg: number; expAvgSq: number; maxExpAvgSq?: number } | null)[];
    return raw.map((s) =>
      s
        ? {
            step: s.step,
            expAvg: new Tensor(s.expAvg),
            expAvgSq: new Tensor(s.expAvgSq),
            ...(s.maxExpAvgSq !== undefined ? { maxExpAvgSq: new Tensor(s.maxExpAvgSq) } : {}),
          }
        : null,
    );
  }

  /** Replaces the state of every parameter, in group order (null: leave empty). The tensors are copied. */
  setState(entries: (NativeAdamWParamState | null)[]): void {
    nat().adamwSetState(
      this.id,
      entries.map((e) =>
        e
          ? {
              step: e.step,
              expAvg: e.expAvg.handle,
              expAvgSq: e.expAvgSq.handle,
              ...(e.maxExpAvgSq ? { maxExpAvgSq: e.maxExpAvgSq.handle } : {}),
            }
          : null,
      ),
    );
  }

  free(): void {
    nat().adamwFree(this.id);
  }
}
