// Modules: a tree of named parameters, named exactly like the PyTorch state_dict keys
// (`encoder.layer.0.attention.self.query.weight`), so that Hugging Face checkpoints load unchanged.
import { DisrankerError } from '../util/errors.js';
import type { DType } from './dtype.js';
import { embedding, layerNorm, linear, ones, rmsNorm, zeros } from './ops.js';
import { keep } from './scope.js';
import type { Tensor } from './tensor.js';

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  /** Registers a parameter under `name`: it is kept out of tidy() scopes and requires grad. */
  protected param(name: string, t: Tensor, requiresGrad = true): Tensor {
    keep(t);
    if (requiresGrad && t.isFloatingPoint()) t.requiresGrad_(true);
    this._params.set(name, t);
    return t;
  }

  /** Registers a child module under `name` (its parameters get the `name.` prefix). */
  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** Replaces a registered parameter tensor (used by loaders and dtype conversion). */
  protected setParam(name: string, t: Tensor): void {
    const old = this._params.get(name);
    if (!old) throw new Error(`no parameter ${name}`);
    keep(t);
    this._params.set(name, t);
    if (old !== t) old.dispose();
    (this as Record<string, unknown>)[name] = t;
  }

  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [n, p] of this._params) yield [prefix + n, p];
    for (const [n, c] of this._children) yield* c.namedParameters(`${prefix}${n}.`);
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix.replace(/\.$/, ''), this];
    for (const [n, c] of this._children) yield* c.namedModules(`${prefix}${n}.`);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Number of parameters (elements). */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.numel, 0);
  }

  /** The parameters by full name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters. With strict (default), a missing or unexpected key, or a shape
   * that differs, is an error naming it. Values are converted to each parameter's dtype.
   */
  loadStateDict(state: Map<string, Tensor>, opts: { strict?: boolean; source?: string } = {}): { missing: string[]; unexpected: string[] } {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    const src = opts.source ? `${opts.source}: ` : '';
    if (strict && (missing.length || unexpected.length)) {
      const parts = [];
      if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.length} tensor(s): ${unexpected.slice(0, 10).join(', ')}${unexpected.length > 10 ? ', ...' : ''}`);
      throw new DisrankerError('DR_ERR_MODEL', `${src}weights do not match the model: ${parts.join('; ')}`);
    }
    for (const [k, p] of own) {
      const v = state.get(k);
      if (!v) continue;
      if (v.shape.join(',') !== p.shape.join(',')) {
        throw new DisrankerError('DR_ERR_MODEL', `${src}tensor ${k} has shape [${v.shape}] but the model (from its config) expects [${p.shape}]`);
      }
      p.copy_(v);
    }
    return { missing, unexpected };
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Converts every floating-point parameter to `dtype` in place (e.g. bf16 inference). */
  toDType(dtype: DType): this {
    return this.replaceParams((p) => p.isFloatingPoint() && p.dtype !== dtype, dtype);
  }

  /** Moves every parameter to `device` ('cpu', 'cuda', 'cuda:1') in place. */
  toDevice(device: string): this {
    return this.replaceParams((p) => p.device !== device, device);
  }

  /** Replaces each parameter that `needs` it by a copy in `target` (dtype or device), keeping requiresGrad. */
  private replaceParams(needs: (p: Tensor) => boolean, target: DType | string): this {
    for (const [, m] of this.namedModules()) {
      for (const [n, p] of m._params) {
        if (!needs(p)) continue;
        const q = p.detach().to(target);
        if (p.requiresGrad) q.requiresGrad_(true);
        m.setParam(n, q);
      }
    }
    return this;
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

// ---- the basic layers (torch.nn names and parameter names) -------------------------------------------------

/** y = x Wᵀ + b with W [out, in] (torch.nn.Linear). Init: N(0, std) weights, zero bias (HF's _init_weights). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean; std?: number } = {}) {
    super();
    this.weight = this.param('weight', zeros([outFeatures, inFeatures]).normal_(0, opts.std ?? 0.02));
    this.bias = opts.bias === false ? null : this.param('bias', zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  weight: Tensor;
  constructor(num: number, dim: number, opts: { std?: number; paddingIdx?: number } = {}) {
    super();
    this.weight = this.param('weight', zeros([num, dim]).normal_(0, opts.std ?? 0.02));
    if (opts.paddingIdx !== undefined && opts.paddingIdx >= 0 && opts.paddingIdx < num) this.weight.select(0, opts.paddingIdx).fill_(0);
  }
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(
    readonly dim: number,
    readonly eps = 1e-12,
  ) {
    super();
    this.weight = this.param('weight', ones([dim]));
    this.bias = this.param('bias', zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  weight: Tensor;
  constructor(
    dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = this.param('weight', ones([dim]));
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
