#!/usr/bin/env python3
"""Reference for `disranker bench decoder`: the teacher decoder (src/models/llama.ts with the score head only) in
plain PyTorch, op for op: HF 4.40's eager LLaMA (pre-norm, RMSNorm in float32, half-split RoPE, GQA by repeat_kv,
additive causal + padding mask of finfo(float32).min, softmax in float32, SwiGLU), a bias-free score head
Linear(H, 1) on the hidden state of the last position whose attention mask is 1 (gathered first, as
LlamaForCausalLM.pooledHidden does). Parameter names are HF's, so weights saved by bench/decoder.ts --save-init load.

It times (a) a ranking SFT step on a fresh batch: Q groups x G documents of T tokens -> scores (Q, G) -> pairwise
margin hinge (src/train/losses/pairwise-hinge.ts) -> backward -> torch.optim.AdamW (decay on matrices, none on norm
weights); (b) reranking: no-grad scoring of N sequences in batches of B, reported per 100 candidates. Inputs are
random ids, right-padded with id 0 after random lengths, from xorshift32 (the same generator as bench/decoder.ts,
so both see the same tokens). Prints one JSON object. Run with Debian's /usr/bin/python3 (python3-torch):

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_decoder.py --threads 1 --steps 5 --warmup 2 [--init w.safetensors]
"""
import argparse, json, math, os, statistics, struct, time
import torch
import torch.nn as nn
import torch.nn.functional as F

# CPT_DEFAULTS.model (src/pipeline/defaults.ts) with the tokenizer's vocabulary (TOKENIZER_DEFAULTS.vocabSize)
TEACHER = dict(vocab_size=4000, hidden_size=128, intermediate_size=344, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True,
               initializer_range=0.02, pad_token_id=0)
MASK_MIN = torch.finfo(torch.float32).min


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x):
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def rotate_half(x):
    x1, x2 = x.chunk(2, -1)
    return torch.cat((-x2, x1), -1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, self.nh, self.nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = H // self.nh
        self.q_proj = nn.Linear(H, H, bias=False)
        self.k_proj = nn.Linear(H, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(H, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(H, H, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, H = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if self.nkv != self.nh:  # repeat_kv
            rep = self.nh // self.nkv
            k = k[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
            v = v[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
        s = q.matmul(k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        p = s.softmax(-1, dtype=torch.float32).to(q.dtype)
        return self.o_proj(p.matmul(v).transpose(1, 2).reshape(B, T, H))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c["hidden_size"], c["intermediate_size"]
        self.gate_proj, self.up_proj, self.down_proj = nn.Linear(H, I, bias=False), nn.Linear(H, I, bias=False), nn.Linear(I, H, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn, self.mlp = Attention(c), MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


class Body(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.register_buffer("inv_freq", 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd)), persistent=False)

    def forward(self, ids, attn):
        B, T = ids.shape
        x = self.embed_tokens(ids)
        freqs = torch.arange(T).float()[:, None] * self.inv_freq[None, :]  # (T, hd/2)
        emb = torch.cat((freqs, freqs), -1)[None, None]  # (1, 1, T, hd)
        cos, sin = emb.cos(), emb.sin()
        idx = torch.arange(T)
        blocked = (idx[None, :] > idx[:, None])[None, None] | (attn == 0).view(B, 1, 1, T)  # future or padded key
        mask = blocked.float() * MASK_MIN  # (B, 1, T, T)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)


class Ranker(nn.Module):
    """LlamaForSequenceClassification's parameters (model.*, score.weight); no LM head (tied: nothing extra)."""

    def __init__(self, c):
        super().__init__()
        self.model = Body(c)
        self.score = nn.Linear(c["hidden_size"], 1, bias=False)
        std = c["initializer_range"]
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(0, std)
        self.model.embed_tokens.weight.data[c["pad_token_id"]].zero_()

    def rank(self, ids, attn):
        h = self.model(ids, attn)  # (B, T, H)
        B, T, H = h.shape
        last = (attn * torch.arange(T)).max(-1).values  # last position whose mask is 1
        return self.score(h.gather(1, last.view(B, 1, 1).expand(B, 1, H)).squeeze(1))[:, 0]


def pairwise_hinge(scores, labels, margin=1.0):
    Q, G = scores.shape
    diff = scores.view(Q, G, 1) - scores.view(Q, 1, G)
    pairs = ((labels.view(Q, G, 1) > labels.view(Q, 1, G)) & (labels.view(Q, 1, G) >= 0)).to(scores.dtype)
    return (F.relu(margin - diff) * pairs).sum() / pairs.sum().clamp(min=1)


def xorshift32(seed):
    x = seed & 0xFFFFFFFF or 1
    while True:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        yield x


def random_batch(seed, n, T, vocab, min_len):
    """n rows of T ids in [1, vocab), right-padded with id 0 after a length in [min_len, T]; mirrors bench/decoder.ts."""
    r = xorshift32(seed)
    ids, mask = [], []
    for _ in range(n):
        length = min_len + next(r) % (T - min_len + 1)
        row = [1 + next(r) % (vocab - 1) for _ in range(T)]
        ids.append([t if j < length else 0 for j, t in enumerate(row)])
        mask.append([1 if j < length else 0 for j in range(T)])
    return torch.tensor(ids, dtype=torch.int64), torch.tensor(mask, dtype=torch.int64)


def load_safetensors(path):
    """A minimal safetensors reader (F32/I64/BF16 tensors)."""
    dtypes = {"F32": torch.float32, "I64": torch.int64, "BF16": torch.bfloat16}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5, help="timed training steps and timed rerank passes")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--groups", type=int, default=4)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--min-len", type=int, default=16)
    ap.add_argument("--rerank", type=int, default=512, help="candidates per rerank pass")
    ap.add_argument("--rerank-batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--config", default="{}", help="JSON overriding fields of the teacher config")
    ap.add_argument("--init", help="safetensors with the initial weights (bench/decoder.ts --save-init)")
    a = ap.parse_args()
    c = {**TEACHER, **json.loads(a.config)}
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Ranker(c)
    if a.init:
        model.load_state_dict(load_safetensors(a.init), strict=True)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    Q, G, T = a.groups, a.group_size, a.seq
    # a fresh batch every step (seed 1000 + step), built before timing; the same batches as bench/decoder.ts
    batches = [random_batch(1000 + i, Q * G, T, c["vocab_size"], a.min_len) for i in range(a.warmup + a.steps)]
    labels = torch.zeros(Q, G, dtype=torch.int64)
    labels[:, 0] = 1  # 1 positive + G-1 negatives per group

    model.train()
    steps, losses, first_scores = [], [], None
    for i in range(a.warmup + a.steps):
        ids, attn = batches[i]
        t0 = time.perf_counter()
        scores = model.rank(ids, attn).view(Q, G)
        loss = pairwise_hinge(scores, labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if i >= a.warmup:
            steps.append((time.perf_counter() - t0) * 1000)
        if i == 0:
            first_scores = scores.detach()[0].tolist()

    model.eval()
    r_ids, r_attn = random_batch(2, a.rerank, T, c["vocab_size"], a.min_len)
    rerank, rerank_head = [], None
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        out = []
        with torch.no_grad():
            for s in range(0, a.rerank, a.rerank_batch):
                out.extend(model.rank(r_ids[s:s + a.rerank_batch], r_attn[s:s + a.rerank_batch]).tolist())
        if i >= a.warmup:
            rerank.append((time.perf_counter() - t0) * 1000 * 100 / a.rerank)
        if i == 0:
            rerank_head = out[:4]

    r = lambda x: round(x, 2)
    print(json.dumps({
        "impl": "pytorch", "groups": Q, "group_size": G, "seq": T, "rerank": a.rerank, "rerank_batch": a.rerank_batch,
        "steps": a.steps, "warmup": a.warmup,
        "step_ms_median": r(statistics.median(steps)), "rerank_ms_per_100_median": r(statistics.median(rerank)),
        "threads": {"intra_op": torch.get_num_threads(), "openblas": os.environ.get("OPENBLAS_NUM_THREADS")},
        "loss_all": losses, "first_scores": first_scores, "rerank_scores_head": rerank_head,
        "torch_version": torch.__version__,
        "step_ms_all": [r(x) for x in steps], "rerank_ms_per_100_all": [r(x) for x in rerank],
    }))


if __name__ == "__main__":
    main()
