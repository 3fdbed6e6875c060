// The toy regression that checks bf16 mixed precision trains like fp32: y = tanh(x·w) + 0.3·noise on 2,048
// points, a 16-16-1 GELU MLP, AdamW; both precisions should reach the noise floor (~0.09).
// Used by test/engine/train.test.ts and bench/bf16-vs-fp32.ts.
import { autocast, dispose, Linear, manualSeed, Module, mseLoss, randn, tidy, type DType, type Tensor } from '../src/engine/index.js';
import { AdamW } from '../src/train/optimizer.js';

class Mlp extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor() {
    super();
    this.fc1 = this.child('fc1', new Linear(16, 16, { std: 0.25 }));
    this.fc2 = this.child('fc2', new Linear(16, 1, { std: 0.25 }));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).gelu()).squeeze(-1);
  }
}

export interface ToyRegressionResult {
  /** MSE of the last step */
  loss: number;
  /** dtype of the model's output (bfloat16 under autocast) */
  outputDType: DType;
  /** dtypes of the parameters after training (master weights) */
  paramDTypes: DType[];
}

export function toyRegression(bf16: boolean, steps = 200): ToyRegressionResult {
  manualSeed(3);
  const data = tidy(() => {
    const x = randn([2048, 16]);
    const w = randn([16, 1]).mul(0.5);
    return { x, y: x.matmul(w).squeeze(-1).tanh().add(randn([2048]).mul(0.3)) };
  });
  manualSeed(11);
  const m = new Mlp();
  const opt = AdamW.forModule(m, { lr: 1e-2, weightDecay: 0 });
  let loss = NaN;
  let outputDType: DType = 'float32';
  for (let i = 0; i < steps; i++) {
    loss = tidy(() => {
      const pred = bf16 ? autocast(() => m.forward(data.x)) : m.forward(data.x);
      outputDType = pred.dtype;
      const l = mseLoss(pred.float(), data.y);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
  }
  const paramDTypes = m.parameters().map((p) => p.dtype);
  m.dispose();
  opt.dispose();
  dispose(data);
  return { loss, outputDType, paramDTypes };
}
