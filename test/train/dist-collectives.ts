// A worker for test/train/distributed.test.ts: runs each collective once under torchrun's variables and prints
// what it saw as JSON. Parameters start from a rank-dependent seed; the broadcast must make them rank 0's.
import { Linear, manualSeed, ProcessGroup, tensor, tidy } from '../../src/engine/index.js';

const pg = ProcessGroup.fromTorchrunEnv();
if (!pg) throw new Error('run me with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT');
const r = pg.rank;
const out: Record<string, unknown> = { rank: r };
const sum = tensor([r + 1, 10 * (r + 1)]);
pg.allReduce([sum], 'sum');
out.sum = sum.toArray();
const avg = tensor([r + 1]);
pg.allReduce([avg], 'avg');
out.avg = avg.toArray();
const max = tensor([r]);
pg.allReduce([max], 'max');
out.max = max.toArray();
out.gather = pg.allGather(tensor([r * 7])).map((t) => t.toArray());
manualSeed(100 + r);
const m = new Linear(3, 2);
const bias = m.bias!;
tidy(() => pg.broadcast([...m.stateDict().values()], 0));
out.weight = m.weight.toArray();
// gradient averaging: rank r's gradient is (r + 1) everywhere; the bias has a gradient on rank 1 only
tidy(() => m.weight.mul(r + 1).sum().backward());
if (r === 1) tidy(() => bias.sum().backward());
pg.averageGradients([m.weight, bias]);
out.weightGrad = m.weight.grad?.toArray();
out.biasGrad = bias.grad?.toArray() ?? null;
pg.barrier();
pg.destroy();
console.log(JSON.stringify(out));
