// LoRA (Hu et al. 2021) on chosen linear layers of any model here, named and saved like Hugging Face PEFT so
// adapters move both ways:
//   y = W x + b + (alpha / r) · B (A (dropout(x)))      A [r, in] ~ U(±1/sqrt(in)) (kaiming_uniform a=√5), B [out, r] = 0
// so a fresh adapter changes nothing. merge() folds (alpha/r)·B A into W (and stops adding the delta);
// unmerge() subtracts it again, as PEFT does.
//
// The adapter lives beside the model, not inside its state dict: the model's names (`...q_proj.weight`) stay
// those of the base checkpoint, and the adapter's names are PEFT's saved names,
//   base_model.model.<module path>.lora_A.weight / lora_B.weight
// plus, for modules_to_save (e.g. the score head of a SEQ_CLS adapter), base_model.model.<module path>.<param>.
// freezeBase() makes only the adapter (and modules_to_save) require grad.
import { keep, linear, noGrad, zeros, Linear, Module, type Tensor } from '../engine/index.js';
import { DisrankerError } from '../util/errors.js';

/** PEFT's LoraConfig fields that matter here (adapter_config.json keys). */
export interface LoraConfig {
  r: number; // rank
  lora_alpha: number; // scaling numerator: scale = lora_alpha / r (or / sqrt(r) with use_rslora)
  lora_dropout: number; // dropout on the adapter's input while training
  target_modules: string[] | string; // module names (matched as the last path parts) or one regex (full match)
  modules_to_save: string[] | null; // modules trained and saved in full (e.g. ['score'])
  task_type: 'CAUSAL_LM' | 'SEQ_CLS' | string; // PEFT task
  use_rslora: boolean; // rank-stabilised scaling alpha / sqrt(r)
  bias: 'none'; // only 'none' (biases stay frozen)
  fan_in_fan_out: false; // weights are [out, in]
}

export const LORA_DEFAULTS: LoraConfig = {
  r: 8,
  lora_alpha: 8,
  lora_dropout: 0,
  target_modules: ['q_proj', 'v_proj'],
  modules_to_save: null,
  task_type: 'CAUSAL_LM',
  use_rslora: false,
  bias: 'none',
  fan_in_fan_out: false,
};

export function loraConfig(partial: Partial<LoraConfig>): LoraConfig {
  const c = { ...LORA_DEFAULTS, ...partial };
  if (!Number.isInteger(c.r) || c.r < 1) throw new DisrankerError('DR_ERR_MODEL', `LoRA: r must be a positive integer, got ${c.r}`);
  if (c.bias !== 'none') throw new DisrankerError('DR_ERR_MODEL', `LoRA: bias '${String(c.bias)}' is not supported (only 'none')`);
  if (c.fan_in_fan_out) throw new DisrankerError('DR_ERR_MODEL', 'LoRA: fan_in_fan_out (Conv1D weights) is not supported');
  return c;
}

/** The prefix PEFT puts before module paths in saved adapters. */
export const PEFT_PREFIX = 'base_model.model.';

/** PEFT's check_target_module_exists: a list matches the name or a `.name` suffix; a string is a full-match regex. */
export function matchesTarget(path: string, target: string[] | string): boolean {
  if (typeof target === 'string') return new RegExp(`^(?:${target})$`).test(path);
  return target.some((t) => path === t || path.endsWith(`.${t}`));
}

/** One adapted linear layer. */
export interface LoraLayer {
  path: string; // module path in the model, e.g. model.layers.0.self_attn.q_proj
  base: Linear;
  A: Tensor; // [r, in]
  B: Tensor; // [out, r]
}

/** A LoRA adapter attached to a model's linear layers. */
export class LoraAdapter {
  readonly layers: LoraLayer[] = [];
  readonly scale: number;
  private merged_ = false;
  private attached = true;
  private frozen: Tensor[] = [];

  constructor(
    readonly model: Module,
    readonly config: LoraConfig,
  ) {
    this.scale = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
    // Validate every target before hooking any, so an error leaves the model untouched.
    const targets: [string, Linear][] = [];
    for (const [path, m] of model.namedModules()) {
      if (!path || !matchesTarget(path, config.target_modules)) continue;
      if (!(m instanceof Linear)) throw new DisrankerError('DR_ERR_MODEL', `LoRA: target module ${path} is not a linear layer`);
      if (this.isHooked(m)) throw new DisrankerError('DR_ERR_MODEL', `LoRA: ${path} already has an adapter`);
      targets.push([path, m]);
    }
    for (const [path, m] of targets) {
      const [out, inp] = m.weight.shape;
      const bound = 1 / Math.sqrt(inp);
      const A = zeros([config.r, inp], { dtype: m.weight.dtype, device: m.weight.device }).uniform_(-bound, bound);
      const B = zeros([out, config.r], { dtype: m.weight.dtype, device: m.weight.device });
      for (const t of [A, B]) keepParam(t);
      this.layers.push({ path, base: m, A, B });
      this.hook(m, A, B);
    }
    if (this.layers.length === 0) {
      throw new DisrankerError('DR_ERR_MODEL', `LoRA: no linear layer matches target_modules ${JSON.stringify(config.target_modules)}`);
    }
  }

  private isHooked(m: Linear): boolean {
    return Object.prototype.hasOwnProperty.call(m, 'forward');
  }

  /** Replaces the layer's forward by W x + b + scale · B A dropout(x) (while not merged). */
  private hook(m: Linear, A: Tensor, B: Tensor): void {
    const p = this.config.lora_dropout;
    m.forward = (x: Tensor): Tensor => {
      const y = linear(x, m.weight, m.bias);
      if (this.merged_) return y;
      return y.add(linear(linear(x.dropout(p, m.training), A), B).mul(this.scale));
    };
  }

  get merged(): boolean {
    return this.merged_;
  }

  /** The adapter's parameters under PEFT's saved names (lora_A/lora_B, then modules_to_save). */
  *namedParameters(): Generator<[string, Tensor]> {
    for (const l of this.layers) {
      yield [`${PEFT_PREFIX}${l.path}.lora_A.weight`, l.A];
      yield [`${PEFT_PREFIX}${l.path}.lora_B.weight`, l.B];
    }
    for (const [name, t] of this.savedModuleParameters()) yield [`${PEFT_PREFIX}${name}`, t];
  }

  /** Parameters of modules_to_save, by their model names (e.g. score.weight). */
  *savedModuleParameters(): Generator<[string, Tensor]> {
    const names = this.config.modules_to_save ?? [];
    if (!names.length) return;
    for (const [name, t] of this.model.namedParameters()) {
      const modulePath = name.slice(0, name.lastIndexOf('.'));
      if (matchesTarget(modulePath, names)) yield [name, t];
    }
  }

  /** What an optimizer should update: the LoRA matrices and modules_to_save. */
  trainableParameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  /** Only the adapter (and modules_to_save) require grad; everything else in the model is frozen. */
  freezeBase(): void {
    const trainable = new Set(this.trainableParameters());
    for (const [, p] of this.model.namedParameters()) {
      if (trainable.has(p) || !p.requiresGrad) continue;
      p.requiresGrad_(false);
      this.frozen.push(p);
    }
  }

  /** Undoes freezeBase(). */
  unfreezeBase(): void {
    for (const p of this.frozen) if (!p.isDisposed) p.requiresGrad_(true);
    this.frozen = [];
  }

  /** W ← W + scale · B A for every adapted layer; forward then skips the adapter. */
  merge(): void {
    if (this.merged_) return;
    noGrad(() => {
      for (const l of this.layers) l.base.weight.copy_(l.base.weight.add(l.B.matmul(l.A).mul(this.scale)));
    });
    this.merged_ = true;
  }

  /** W ← W − scale · B A (PEFT's unmerge: the original weights up to float rounding). */
  unmerge(): void {
    if (!this.merged_) return;
    noGrad(() => {
      for (const l of this.layers) l.base.weight.copy_(l.base.weight.sub(l.B.matmul(l.A).mul(this.scale)));
    });
    this.merged_ = false;
  }

  /**
   * Copies adapter weights (PEFT saved names) into this adapter. Missing or unexpected names, and shapes that
   * differ, are errors naming the tensor.
   */
  loadWeights(state: Map<string, Tensor>, source = 'adapter'): void {
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (missing.length || unexpected.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 10).join(', ')}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.length} tensor(s): ${unexpected.slice(0, 10).join(', ')}`);
      throw new DisrankerError('DR_ERR_MODEL', `${source}: adapter weights do not match the model and adapter_config.json: ${parts.join('; ')}`);
    }
    const wasMerged = this.merged_;
    this.unmerge();
    noGrad(() => {
      for (const [k, p] of own) {
        const v = state.get(k)!;
        if (v.shape.join(',') !== p.shape.join(',')) {
          throw new DisrankerError('DR_ERR_MODEL', `${source}: tensor ${k} has shape [${v.shape}] but the model and adapter_config.json expect [${p.shape}]`);
        }
        p.copy_(v);
      }
    });
    if (wasMerged) this.merge();
  }

  /** Removes the adapter from the model (after merge() the merged weights stay) and frees its matrices. */
  detach(): void {
    if (!this.attached) return;
    this.unfreezeBase();
    for (const l of this.layers) {
      delete (l.base as Partial<Pick<Linear, 'forward'>>).forward;
      l.A.dispose();
      l.B.dispose();
    }
    this.attached = false;
  }
}

/** Parameters outlive tidy() scopes and require grad (like Module.param). */
function keepParam(t: Tensor): void {
  keep(t).requiresGrad_(true);
}

/** Attaches a LoRA adapter to `model` (see LoraConfig for the fields). */
export function addLora(model: Module, partial: Partial<LoraConfig> = {}): LoraAdapter {
  return new LoraAdapter(model, loraConfig(partial));
}
