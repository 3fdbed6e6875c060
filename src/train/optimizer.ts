// AdamW: torch's own implementation (torch::optim::AdamW, decoupled weight decay), driven from
// TypeScript. Parameter groups let norms and biases skip weight decay, as BERT/LLaMA recipes do.
// The state (step, exp_avg, exp_avg_sq per parameter) saves to and loads from safetensors.
import { existsSync } from 'node:fs';
import { DisrankerError } from '../util/errors.js';
import { loadSafetensors, NativeAdamW, zeroGrad, saveSafetensors, tensor, tidy, type Module, type NativeAdamWParamState, type Tensor } from '../engine/index.js';
import { TRAIN_DEFAULTS } from './defaults.js';

export interface ParamGroup {
  params: Tensor[];
  /** parameter names, used to match state on load (defaults to the index) */
  names?: string[];
  lr: number;
  weightDecay: number;
}

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export class AdamW {
  readonly groups: ParamGroup[];
  readonly options: Required<AdamWOptions>;
  private readonly native: NativeAdamW;
  /** the base lr of each group; schedules scale these */
  readonly baseLrs: number[];

  constructor(groups: ParamGroup[], opts: AdamWOptions) {
    this.options = { betas: TRAIN_DEFAULTS.betas, eps: TRAIN_DEFAULTS.eps, weightDecay: TRAIN_DEFAULTS.weightDecay, amsgrad: false, ...opts };
    this.groups = groups;
    this.baseLrs = groups.map((g) => g.lr);
    this.native = new NativeAdamW(groups, this.options.betas, this.options.eps, this.options.amsgrad);
  }

  /**
   * Two groups from a module: weight decay on matrices, none on biases and norm weights (any 1-D parameter),
   * as in BERT's and HF Trainer's recipes.
   */
  static forModule(model: Module, opts: AdamWOptions): AdamW {
    const decay: [string, Tensor][] = [];
    const noDecay: [string, Tensor][] = [];
    for (const [n, p] of model.namedParameters()) {
      if (!p.requiresGrad) continue;
      (p.ndim < 2 ? noDecay : decay).push([n, p]);
    }
    const wd = opts.weightDecay ?? TRAIN_DEFAULTS.weightDecay;
    return new AdamW(
      [
        { params: decay.map(([, p]) => p), names: decay.map(([n]) => n), lr: opts.lr, weightDecay: wd },
        { params: noDecay.map(([, p]) => p), names: noDecay.map(([n]) => n), lr: opts.lr, weightDecay: 0 },
      ],
      opts,
    );
  }

  /** The name a parameter's state is saved under: its module path, else its place in the groups. */
  private paramName(group: number, index: number): string {
    return this.groups[group].names?.[index] ?? `group${group}.param${index}`;
  }

  step(): void {
    this.native.step();
  }

  zeroGrad(): void {
    zeroGrad(this.groups.flatMap((g) => g.params));
  }

  /** Sets every group's lr to its base lr times `factor` (what a schedule returns). */
  setLrFactor(factor: number): void {
    this.baseLrs.forEach((lr, i) => this.native.setLr(i, lr * factor));
  }

  /** Saves the state as safetensors: `<name>.exp_avg`, `<name>.exp_avg_sq`, `<name>.step`. */
  saveState(file: string): void {
    tidy(() => {
      const raw = this.native.getState();
      const out = new Map<string, Tensor>();
      let k = 0;
      for (const [gi, g] of this.groups.entries()) {
        for (const [pi] of g.params.entries()) {
          const s = raw[k++];
          if (!s) continue;
          const name = this.paramName(gi, pi);
          out.set(`${name}.exp_avg`, s.expAvg);
          out.set(`${name}.exp_avg_sq`, s.expAvgSq);
          if (s.maxExpAvgSq) out.set(`${name}.max_exp_avg_sq`, s.maxExpAvgSq);
          out.set(`${name}.step`, tensor([s.step], { dtype: 'int64' }));
        }
      }
      saveSafetensors(file, out, { format: 'pt', optimizer: 'AdamW', lrs: JSON.stringify(this.baseLrs) });
    });
  }

  /** Loads state written by saveState; every parameter's entry must match its name and shape. */
  loadState(file: string): void {
    if (!existsSync(file)) throw new DisrankerError('DR_ERR_FILE', `${file}: optimizer state not found`);
    tidy(() => {
      const st = loadSafetensors(file);
      const entries: (NativeAdamWParamState | null)[] = [];
      for (const [gi, g] of this.groups.entries()) {
        for (const [pi] of g.params.entries()) {
          const name = this.paramName(gi, pi);
          const step = st.get(`${name}.step`);
          if (!step) {
            entries.push(null);
            continue;
          }
          const ea = st.get(`${name}.exp_avg`);
          const eas = st.get(`${name}.exp_avg_sq`);
          if (!ea || !eas) throw new DisrankerError('DR_ERR_FILE', `${file}: optimizer state for ${name} is incomplete`);
          const e: NativeAdamWParamState = { step: step.item(), expAvg: ea, expAvgSq: eas };
          const m = st.get(`${name}.max_exp_avg_sq`);
          if (m) e.maxExpAvgSq = m;
          entries.push(e);
        }
      }
      this.native.setState(entries);
    });
  }

  dispose(): void {
    this.native.free();
  }
}
