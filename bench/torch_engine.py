#!/usr/bin/env python3
"""Reference for `disranker bench engine`: the same BERT (HF BertForSequenceClassification layout,
post-LN, erf GELU, dropout 0.1), the same batch shape, MSE loss and torch.optim.AdamW, in PyTorch.
Prints one JSON object with the same keys. Run with Debian's /usr/bin/python3 (python3-torch).

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_engine.py --threads 1 --steps 20 --warmup 3 [--dtype bf16]
"""
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

V, H, L, NH, FFN, P = 30522, 256, 4, 4, 1024, 512


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(H, FFN), nn.Linear(FFN, H)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        B, T, _ = x.shape
        hs = H // NH
        heads = lambda t: t.view(B, T, NH, hs).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        s = q.matmul(k.transpose(-1, -2)) * (1 / math.sqrt(hs)) + mask
        a = self.drop(s.softmax(-1)).matmul(v).transpose(1, 2).reshape(B, T, H)
        a = self.ln1(self.drop(self.o(a)) + x)
        return self.ln2(self.drop(self.ff2(F.gelu(self.ff1(a)))) + a)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.tok_type = nn.Embedding(V, H, padding_idx=0), nn.Embedding(P, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.pool, self.cls = nn.Linear(H, H), nn.Linear(H, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, ids, mask, types):
        T = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.tok_type(types) + self.pos(torch.arange(T))))
        m = (1.0 - mask.float())[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, m)
        return self.cls(self.drop(torch.tanh(self.pool(x[:, 0]))))[:, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", default="fp32")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Bert()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    B, T = a.batch, a.seq
    ids = torch.randint(1, V, (B, T))
    mask = torch.ones(B, T, dtype=torch.long)
    types = torch.cat([torch.zeros(B, T // 4, dtype=torch.long), torch.ones(B, T - T // 4, dtype=torch.long)], 1)
    target = torch.randn(B)
    bf16 = a.dtype in ("bf16", "bfloat16")
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else (lambda: torch.autocast("cpu", enabled=False))

    model.train()
    steps, losses = [], []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        with ctx():
            out = model(ids, mask, types)
        loss = F.mse_loss(out.float(), target)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if i >= a.warmup:
            steps.append((time.perf_counter() - t0) * 1000)

    model.eval()

    def fwd(b):
        ms = []
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            with torch.no_grad(), ctx():
                model(ids[:b].contiguous(), mask[:b].contiguous(), types[:b].contiguous()).tolist()
            if i >= a.warmup:
                ms.append((time.perf_counter() - t0) * 1000)
        return ms

    f16, f1 = fwd(B), fwd(1)
    r = lambda x: round(x, 2)
    print(json.dumps({
        "impl": "pytorch", "batch": B, "seq": T, "dtype": "bf16" if bf16 else "fp32", "device": "cpu",
        "steps": a.steps, "warmup": a.warmup,
        "step_ms_median": r(statistics.median(steps)), "step_ms_min": r(min(steps)),
        "fwd_b16_ms_median": r(statistics.median(f16)), "fwd_b1_ms_median": r(statistics.median(f1)),
        "threads": {"intra_op": torch.get_num_threads(), "openblas": __import__("os").environ.get("OPENBLAS_NUM_THREADS")},
        "loss_first": losses[0], "loss_last": losses[-1], "torch_version": torch.__version__,
        "step_ms_all": [r(x) for x in steps], "fwd_b16_ms_all": [r(x) for x in f16], "fwd_b1_ms_all": [r(x) for x in f1],
    }))


if __name__ == "__main__":
    main()
