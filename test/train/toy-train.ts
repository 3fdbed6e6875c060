// A toy training run on the shared trainer, as a script (the resume test kills it with SIGKILL) and a function.
//   node --import tsx test/train/toy-train.ts DIR [--lr X] [--steps N] [--delay-ms MS] [--poison-step S] [--skip-nonfinite]
//                                             [--micro-batch B --concat K] [--checkpoint-every N]
// Each step's batch is drawn from torch's generator, which the trainer reseeds from (seed, step).
// With --micro-batch B, micro-batch m of step s is instead K independent draws of B rows, each seeded from
// (s, m·K + j) alone: 2 data-parallel ranks with K = 1 see exactly the rows of 1 process with K = 2 (batch 2B).
// Under torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) it trains data-parallel.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { cat, Linear, manualSeed, Module, mseLoss, randn, tensor, type Tensor } from '../../src/engine/index.js';
import { hashString } from '../../src/util/random.js';
import { train, trainConfig, type TrainResult } from '../../src/train/trainer.js';

export class ToyMlp extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor() {
    super();
    this.fc1 = this.child('fc1', new Linear(8, 16));
    this.fc2 = this.child('fc2', new Linear(16, 1));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).gelu()).squeeze(-1);
  }
}

export interface ToyOptions {
  dir: string;
  lr?: number;
  steps?: number;
  delayMs?: number;
  /** from this step on the loss is NaN */
  poisonStep?: number;
  skipNonFinite?: boolean;
  evalEvery?: number;
  /** per-(step, micro) seeded batches of this many rows (see the header) */
  microBatch?: number;
  concat?: number;
  checkpointEvery?: number;
}

/** Trains the toy model; returns the result and the final weights as arrays. */
export async function toyTrain(o: ToyOptions): Promise<{ result: TrainResult; weights: Record<string, number[]> }> {
  currentStep = 0;
  manualSeed(7);
  const model = new ToyMlp();
  const w = randn([8]);
  try {
    const result = await train(
      {
        model,
        batch: (step, micro) => {
          if (!o.microBatch) return randn([16, 8]); // torch's generator, reseeded by the trainer from (seed, step)
          const k = o.concat ?? 1;
          const parts = Array.from({ length: k }, (_, j) => {
            manualSeed(hashString(`toy-${step}-${micro * k + j}`));
            return randn([o.microBatch!, 8]);
          });
          if (k === 1) return parts[0];
          const x = cat(parts);
          parts.forEach((p) => p.dispose());
          return x;
        },
        loss: (x) => {
          if (o.delayMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, o.delayMs);
          const y = x.matmul(w).tanh();
          const l = mseLoss(model.forward(x), y);
          const poisoned = o.poisonStep !== undefined && currentStep >= o.poisonStep;
          currentStep++;
          return { loss: poisoned ? l.mul(tensor(NaN)) : l, examples: x.shape[0] };
        },
        evaluate: o.evalEvery ? () => ({ neg_mse: -((currentStep % 7) + 1) }) : undefined,
        metric: 'neg_mse',
      },
      {
        dir: o.dir,
        config: trainConfig({ steps: o.steps ?? 20, seed: 3, lr: o.lr ?? 1e-2, checkpointEvery: o.checkpointEvery ?? 5, logEvery: 5, evalEvery: o.evalEvery ?? 0, nonFinite: o.skipNonFinite ? 'skip' : 'stop' }),
        identity: { model: 'toy-mlp 8-16-1', data: 'randn' },
        name: 'toy',
      },
    );
    const weights = Object.fromEntries([...model.stateDict()].map(([k, p]) => [k, p.toArray().flat(2) as number[]]));
    return { result, weights };
  } finally {
    model.dispose();
    w.dispose();
  }
}
let currentStep = 0;

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      lr: { type: 'string' },
      steps: { type: 'string' },
      'delay-ms': { type: 'string' },
      'poison-step': { type: 'string' },
      'skip-nonfinite': { type: 'boolean' },
      'micro-batch': { type: 'string' },
      concat: { type: 'string' },
      'checkpoint-every': { type: 'string' },
    },
  });
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const r = await toyTrain({
    dir: positionals[0],
    lr: num(values.lr),
    steps: num(values.steps),
    delayMs: num(values['delay-ms']),
    poisonStep: num(values['poison-step']),
    skipNonFinite: values['skip-nonfinite'],
    microBatch: num(values['micro-batch']),
    concat: num(values.concat),
    checkpointEvery: num(values['checkpoint-every']),
  });
  console.log(JSON.stringify({ resumedFrom: r.result.resumedFrom, steps: r.result.steps, distributed: r.result.distributed, weights: r.weights }));
}
