// The op table shared by the parity test (against Python torch) and the finite-difference gradient check.
// Each case: input specs, our computation, and the same computation as a Python expression over x0, x1, ...
import { bceWithLogits, bmm, cat, crossEntropy, embedding, layerNorm, linear, mseLoss, rmsNorm, stack, where, type Tensor } from '../../src/engine/index.js';

export interface InputSpec {
  shape: number[];
  /** normal (default), positive (0.5..2), unit (0..1), index (0..high-1, int64), bool, target (index with some -100) */
  kind?: 'normal' | 'positive' | 'unit' | 'index' | 'bool' | 'target';
  high?: number;
  /** no gradient for this input even if floating */
  noGrad?: boolean;
}

export interface OpCase {
  name: string;
  inputs: InputSpec[];
  ours: (x: Tensor[]) => Tensor | Tensor[];
  torch: string;
  /** checked by finite differences (default: true when some input is floating) */
  grad?: boolean;
  tol?: number;
}

const N = (...shape: number[]): InputSpec => ({ shape });
const P = (...shape: number[]): InputSpec => ({ shape, kind: 'positive' });
const I = (high: number, ...shape: number[]): InputSpec => ({ shape, kind: 'index', high });
const Bm = (...shape: number[]): InputSpec => ({ shape, kind: 'bool' });

export const OP_CASES: OpCase[] = [
  // elementwise
  { name: 'add', inputs: [N(3, 4), N(4)], ours: ([a, b]) => a.add(b), torch: 'x0 + x1' },
  { name: 'sub', inputs: [N(3, 4), N(3, 1)], ours: ([a, b]) => a.sub(b), torch: 'x0 - x1' },
  { name: 'mul', inputs: [N(2, 3, 4), N(3, 4)], ours: ([a, b]) => a.mul(b), torch: 'x0 * x1' },
  { name: 'div', inputs: [N(3, 4), P(3, 4)], ours: ([a, b]) => a.div(b), torch: 'x0 / x1' },
  { name: 'pow', inputs: [P(3, 4), N(3, 4)], ours: ([a, b]) => a.pow(b), torch: 'torch.pow(x0, x1)' },
  { name: 'addScalar', inputs: [N(3, 4)], ours: ([a]) => a.add(2.5), torch: 'x0 + 2.5' },
  { name: 'subScalar', inputs: [N(3, 4)], ours: ([a]) => a.sub(1.5), torch: 'x0 - 1.5' },
  { name: 'rsub', inputs: [N(3, 4)], ours: ([a]) => a.rsub(1), torch: '1 - x0' },
  { name: 'mulScalar', inputs: [N(3, 4)], ours: ([a]) => a.mul(-3), torch: 'x0 * -3' },
  { name: 'divScalar', inputs: [N(3, 4)], ours: ([a]) => a.div(7), torch: 'x0 / 7' },
  { name: 'powScalar', inputs: [N(3, 4)], ours: ([a]) => a.pow(3), torch: 'x0 ** 3' },
  { name: 'maximum', inputs: [N(3, 4), N(3, 4)], ours: ([a, b]) => a.maximum(b), torch: 'torch.maximum(x0, x1)' },
  { name: 'minimum', inputs: [N(3, 4), N(3, 4)], ours: ([a, b]) => a.minimum(b), torch: 'torch.minimum(x0, x1)' },
  { name: 'neg', inputs: [N(3, 4)], ours: ([a]) => a.neg(), torch: '-x0' },
  { name: 'abs', inputs: [N(3, 4)], ours: ([a]) => a.abs(), torch: 'x0.abs()' },
  { name: 'exp', inputs: [N(3, 4)], ours: ([a]) => a.exp(), torch: 'x0.exp()' },
  { name: 'log', inputs: [P(3, 4)], ours: ([a]) => a.log(), torch: 'x0.log()' },
  { name: 'log1p', inputs: [P(3, 4)], ours: ([a]) => a.log1p(), torch: 'x0.log1p()' },
  { name: 'sqrt', inputs: [P(3, 4)], ours: ([a]) => a.sqrt(), torch: 'x0.sqrt()' },
  { name: 'rsqrt', inputs: [P(3, 4)], ours: ([a]) => a.rsqrt(), torch: 'x0.rsqrt()' },
  { name: 'square', inputs: [N(3, 4)], ours: ([a]) => a.square(), torch: 'x0.square()' },
  { name: 'reciprocal', inputs: [P(3, 4)], ours: ([a]) => a.reciprocal(), torch: 'x0.reciprocal()' },
  { name: 'sin', inputs: [N(3, 4)], ours: ([a]) => a.sin(), torch: 'x0.sin()' },
  { name: 'cos', inputs: [N(3, 4)], ours: ([a]) => a.cos(), torch: 'x0.cos()' },
  { name: 'tanh', inputs: [N(3, 4)], ours: ([a]) => a.tanh(), torch: 'x0.tanh()' },
  { name: 'sigmoid', inputs: [N(3, 4)], ours: ([a]) => a.sigmoid(), torch: 'x0.sigmoid()' },
  { name: 'logsigmoid', inputs: [N(3, 4)], ours: ([a]) => a.logsigmoid(), torch: 'F.logsigmoid(x0)' },
  { name: 'softplus', inputs: [N(3, 4)], ours: ([a]) => a.softplus(), torch: 'F.softplus(x0)' },
  { name: 'relu', inputs: [N(3, 4)], ours: ([a]) => a.relu(), torch: 'x0.relu()' },
  { name: 'silu', inputs: [N(3, 4)], ours: ([a]) => a.silu(), torch: 'F.silu(x0)' },
  { name: 'gelu', inputs: [N(3, 4)], ours: ([a]) => a.gelu(), torch: 'F.gelu(x0)' },
  { name: 'gelu_tanh', inputs: [N(3, 4)], ours: ([a]) => a.gelu('tanh'), torch: "F.gelu(x0, approximate='tanh')" },
  { name: 'clamp', inputs: [N(3, 4)], ours: ([a]) => a.clamp(-0.5, 0.7), torch: 'x0.clamp(-0.5, 0.7)' },
  { name: 'clamp_min', inputs: [N(3, 4)], ours: ([a]) => a.clamp(0.1), torch: 'x0.clamp(min=0.1)' },
  { name: 'maskedFill', inputs: [N(3, 4), Bm(3, 4)], ours: ([a, m]) => a.maskedFill(m, -9), torch: 'x0.masked_fill(x1, -9)' },
  { name: 'where', inputs: [Bm(3, 4), N(3, 4), N(3, 4)], ours: ([c, a, b]) => where(c, a, b), torch: 'torch.where(x0, x1, x2)' },
  { name: 'dropout_eval', inputs: [N(3, 4)], ours: ([a]) => a.dropout(0.5, false), torch: 'F.dropout(x0, 0.5, False)' },
  { name: 'dropout_p0', inputs: [N(3, 4)], ours: ([a]) => a.dropout(0, true), torch: 'F.dropout(x0, 0.0, True)' },
  { name: 'eq', inputs: [I(3, 3, 4), I(3, 3, 4)], ours: ([a, b]) => a.eq(b), torch: 'x0 == x1' },
  { name: 'gtScalar', inputs: [N(3, 4)], ours: ([a]) => a.gt(0.2), torch: 'x0 > 0.2', grad: false },
  { name: 'le', inputs: [N(3, 4), N(3, 4)], ours: ([a, b]) => a.le(b), torch: 'x0 <= x1', grad: false },
  { name: 'logicalAnd', inputs: [Bm(3, 4), Bm(3, 4)], ours: ([a, b]) => a.logicalAnd(b), torch: 'torch.logical_and(x0, x1)' },
  // reductions
  { name: 'sum', inputs: [N(3, 4)], ours: ([a]) => a.sum(), torch: 'x0.sum()' },
  { name: 'sum_dims', inputs: [N(2, 3, 4)], ours: ([a]) => a.sum([0, 2], true), torch: 'x0.sum((0, 2), keepdim=True)' },
  { name: 'mean', inputs: [N(3, 4)], ours: ([a]) => a.mean(), torch: 'x0.mean()' },
  { name: 'mean_dim', inputs: [N(2, 3, 4)], ours: ([a]) => a.mean(-1), torch: 'x0.mean(-1)' },
  { name: 'logsumexp', inputs: [N(3, 4)], ours: ([a]) => a.logsumexp(1), torch: 'x0.logsumexp(1)' },
  { name: 'max', inputs: [N(3, 4)], ours: ([a]) => a.max(), torch: 'x0.max()' },
  { name: 'max_dim', inputs: [N(3, 4)], ours: ([a]) => a.max(1), torch: 'tuple(x0.max(1))' },
  { name: 'min_dim', inputs: [N(3, 4)], ours: ([a]) => a.min(0, true), torch: 'tuple(x0.min(0, keepdim=True))' },
  { name: 'argmax', inputs: [N(3, 4)], ours: ([a]) => a.argmax(1), torch: 'x0.argmax(1)', grad: false },
  { name: 'cumsum', inputs: [N(3, 4)], ours: ([a]) => a.cumsum(1), torch: 'x0.cumsum(1)' },
  { name: 'sort', inputs: [N(3, 5)], ours: ([a]) => a.sort(-1, true), torch: 'tuple(x0.sort(-1, descending=True))' },
  { name: 'topk', inputs: [N(3, 5)], ours: ([a]) => a.topk(2), torch: 'tuple(x0.topk(2))' },
  { name: 'softmax', inputs: [N(3, 4)], ours: ([a]) => a.softmax(-1), torch: 'x0.softmax(-1)' },
  { name: 'logSoftmax', inputs: [N(3, 4)], ours: ([a]) => a.logSoftmax(0), torch: 'x0.log_softmax(0)' },
  // linear algebra and layers
  { name: 'matmul_2d', inputs: [N(3, 4), N(4, 5)], ours: ([a, b]) => a.matmul(b), torch: 'x0 @ x1' },
  { name: 'matmul_batched', inputs: [N(2, 2, 3, 4), N(2, 2, 4, 3)], ours: ([a, b]) => a.matmul(b), torch: 'x0 @ x1' },
  { name: 'matmul_broadcast', inputs: [N(2, 3, 4), N(4, 2)], ours: ([a, b]) => a.matmul(b), torch: 'x0 @ x1' },
  { name: 'bmm', inputs: [N(2, 3, 4), N(2, 4, 2)], ours: ([a, b]) => bmm(a, b), torch: 'torch.bmm(x0, x1)' },
  { name: 'linear', inputs: [N(2, 3, 4), N(5, 4), N(5)], ours: ([x, w, b]) => linear(x, w, b), torch: 'F.linear(x0, x1, x2)' },
  { name: 'linear_nobias', inputs: [N(3, 4), N(5, 4)], ours: ([x, w]) => linear(x, w), torch: 'F.linear(x0, x1)' },
  {
    name: 'layerNorm',
    inputs: [N(2, 3, 6), N(6), N(6)],
    ours: ([x, w, b]) => layerNorm(x, [6], w, b, 1e-5),
    torch: 'F.layer_norm(x0, (6,), x1, x2, 1e-5)',
  },
  {
    name: 'rmsNorm',
    inputs: [N(2, 3, 6), N(6)],
    ours: ([x, w]) => rmsNorm(x, w, 1e-6),
    torch: 'x1 * (x0 * torch.rsqrt(x0.pow(2).mean(-1, keepdim=True) + 1e-6))',
  },
  { name: 'embedding', inputs: [N(7, 3), I(7, 2, 4)], ours: ([w, i]) => embedding(w, i), torch: 'F.embedding(x1, x0)' },
  // shape
  { name: 'reshape', inputs: [N(3, 4)], ours: ([a]) => a.reshape(2, 6), torch: 'x0.reshape(2, 6)' },
  { name: 'view', inputs: [N(3, 4)], ours: ([a]) => a.view(4, 3), torch: 'x0.view(4, 3)' },
  { name: 'permute', inputs: [N(2, 3, 4)], ours: ([a]) => a.permute(2, 0, 1).contiguous(), torch: 'x0.permute(2, 0, 1).contiguous()' },
  { name: 'transpose', inputs: [N(2, 3, 4)], ours: ([a]) => a.transpose(0, 2), torch: 'x0.transpose(0, 2)' },
  { name: 'squeeze_unsqueeze', inputs: [N(3, 1, 4)], ours: ([a]) => a.squeeze(1).unsqueeze(0), torch: 'x0.squeeze(1).unsqueeze(0)' },
  { name: 'expand', inputs: [N(3, 1)], ours: ([a]) => a.expand(3, 4), torch: 'x0.expand(3, 4)' },
  { name: 'flatten', inputs: [N(2, 3, 4)], ours: ([a]) => a.flatten(1), torch: 'x0.flatten(1)' },
  { name: 'narrow', inputs: [N(3, 5)], ours: ([a]) => a.narrow(1, 1, 3), torch: 'x0.narrow(1, 1, 3)' },
  { name: 'slice_step', inputs: [N(3, 6)], ours: ([a]) => a.slice(1, 1, 6, 2), torch: 'x0[:, 1:6:2]' },
  { name: 'slice_negative', inputs: [N(3, 6)], ours: ([a]) => a.slice(1, -2), torch: 'x0[:, -2:]' },
  { name: 'select', inputs: [N(3, 4)], ours: ([a]) => a.select(1, -1), torch: 'x0[:, -1]' },
  { name: 'flip', inputs: [N(3, 4)], ours: ([a]) => a.flip(1), torch: 'x0.flip(1)' },
  { name: 'repeat', inputs: [N(2, 3)], ours: ([a]) => a.repeat(2, 1), torch: 'x0.repeat(2, 1)' },
  { name: 'repeatInterleave', inputs: [N(2, 3)], ours: ([a]) => a.repeatInterleave(2, 0), torch: 'x0.repeat_interleave(2, 0)' },
  { name: 'cat', inputs: [N(2, 3), N(2, 2)], ours: ([a, b]) => cat([a, b], 1), torch: 'torch.cat([x0, x1], 1)' },
  { name: 'stack', inputs: [N(2, 3), N(2, 3)], ours: ([a, b]) => stack([a, b], 0), torch: 'torch.stack([x0, x1], 0)' },
  { name: 'split', inputs: [N(5, 3)], ours: ([a]) => a.split([2, 3], 0), torch: 'x0.split([2, 3], 0)' },
  { name: 'chunk', inputs: [N(3, 4)], ours: ([a]) => a.chunk(2, 1), torch: 'x0.chunk(2, 1)' },
  { name: 'indexSelect', inputs: [N(5, 3), I(5, 4)], ours: ([a, i]) => a.indexSelect(0, i), torch: 'x0.index_select(0, x1)' },
  { name: 'gather', inputs: [N(3, 4), I(4, 3, 2)], ours: ([a, i]) => a.gather(1, i), torch: 'x0.gather(1, x1)' },
  { name: 'triu', inputs: [N(4, 4)], ours: ([a]) => a.triu(1), torch: 'x0.triu(1)' },
  { name: 'tril', inputs: [N(4, 4)], ours: ([a]) => a.tril(), torch: 'x0.tril()' },
  // rotary embedding pieces: rotate_half and q·cos + rotate_half(q)·sin (half-split, as HF LLaMA)
  {
    name: 'rotary',
    inputs: [N(1, 2, 3, 4), N(3, 4), N(3, 4)],
    ours: ([q, c, s]) => {
      const [a, b] = q.chunk(2, -1);
      return q.mul(c).add(cat([b.neg(), a], -1).mul(s));
    },
    torch: 'x0 * x1 + torch.cat([-x0[..., 2:], x0[..., :2]], -1) * x2',
  },
  // losses
  {
    name: 'crossEntropy_ignore',
    inputs: [N(5, 4), { shape: [5], kind: 'target', high: 4 }],
    ours: ([l, t]) => crossEntropy(l, t, { ignoreIndex: -100 }),
    torch: 'F.cross_entropy(x0, x1, ignore_index=-100)',
  },
  {
    name: 'crossEntropy_sum_smoothing',
    inputs: [N(5, 4), I(4, 5)],
    ours: ([l, t]) => crossEntropy(l, t, { reduction: 'sum', labelSmoothing: 0.1 }),
    torch: "F.cross_entropy(x0, x1, reduction='sum', label_smoothing=0.1)",
  },
  { name: 'mseLoss', inputs: [N(3, 4), N(3, 4)], ours: ([a, b]) => mseLoss(a, b), torch: 'F.mse_loss(x0, x1)' },
  { name: 'mseLoss_none', inputs: [N(3, 4), N(3, 4)], ours: ([a, b]) => mseLoss(a, b, 'none'), torch: "F.mse_loss(x0, x1, reduction='none')" },
  {
    name: 'bceWithLogits',
    inputs: [N(3, 4), { shape: [3, 4], kind: 'unit', noGrad: true }],
    ours: ([a, b]) => bceWithLogits(a, b),
    torch: 'F.binary_cross_entropy_with_logits(x0, x1)',
  },
  // dtype casts (no gradient check through rounding)
  { name: 'to_bf16', inputs: [N(3, 4)], ours: ([a]) => a.to('bfloat16'), torch: 'x0.to(torch.bfloat16)', grad: false },
  { name: 'to_int64', inputs: [N(3, 4)], ours: ([a]) => a.mul(3).to('int64'), torch: '(x0 * 3).to(torch.int64)', grad: false },
];
