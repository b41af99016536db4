"""PyTorch CPU side of the benchmark, run by run.mjs with /usr/bin/python3 (Debian's python3-torch).

  python3 torch_bench.py matmul            f32 matmul GFLOP/s for the cases of src/matmul.mjs
  python3 torch_bench.py train DIR         one GPT training step from the weights that
                                           `node src/models.mjs --task=export --out=DIR` wrote

Prints one JSON line. Timings are medians after warm-up, with every thread of the machine.
"""
import json
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(os.cpu_count() or 1)

CASES = [
    ("256", (256, 256), (256, 256)),
    ("512", (512, 512), (512, 512)),
    ("1024", (1024, 1024), (1024, 1024)),
    ("attn 32x(64x32 @ 32x64)", (32, 64, 32), (32, 32, 64)),
]


def median_seconds(fn, warmups, runs):
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def blas_name():
    info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    name = info.group(1) if info else "unknown"
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    return name + (" -> " + os.path.realpath(link) if os.path.exists(link) else "")


def matmul():
    out = {}
    by_threads = {}
    for name, sa, sb in CASES:
        a = torch.rand(*sa) * 2 - 1
        b = torch.rand(*sb) * 2 - 1
        flops = 2 * math.prod(sa) * sb[-1]
        reps = max(1, math.ceil(60e6 / flops))

        def once():
            for _ in range(reps):
                torch.matmul(a, b)

        # the faster of all threads and one thread, as in train()
        for threads in sorted({os.cpu_count() or 1, 1}, reverse=True):
            torch.set_num_threads(threads)
            rate = flops * reps / median_seconds(once, 2, 7) / 1e9
            by_threads.setdefault(str(threads), {})[name] = rate
            out[name] = max(out.get(name, 0), rate)
    torch.set_num_threads(os.cpu_count() or 1)
    return {"gflops": out, "gflopsByThreads": by_threads}


class Block(torch.nn.Module):
    """GPT-2 block with Conv1D weights stored (in, out), as @lab/models keeps them."""

    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = torch.nn.LayerNorm(c, eps=1e-5)
        self.ln_2 = torch.nn.LayerNorm(c, eps=1e-5)
        self.c_attn_w = torch.nn.Parameter(torch.empty(c, 3 * c))
        self.c_attn_b = torch.nn.Parameter(torch.empty(3 * c))
        self.attn_proj_w = torch.nn.Parameter(torch.empty(c, c))
        self.attn_proj_b = torch.nn.Parameter(torch.empty(c))
        self.c_fc_w = torch.nn.Parameter(torch.empty(c, 4 * c))
        self.c_fc_b = torch.nn.Parameter(torch.empty(4 * c))
        self.mlp_proj_w = torch.nn.Parameter(torch.empty(4 * c, c))
        self.mlp_proj_b = torch.nn.Parameter(torch.empty(c))

    def forward(self, x, causal):
        b, t, c = x.shape
        h = self.heads
        qkv = torch.addmm(self.c_attn_b, self.ln_1(x).reshape(b * t, c), self.c_attn_w)
        q, k, v = (y.reshape(b, t, h, c // h).transpose(1, 2) for y in qkv.split(c, dim=1))  # (B, H, T, D)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(c // h)  # (B, H, T, T)
        att = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v  # (B, H, T, D)
        att = att.transpose(1, 2).reshape(b * t, c)
        x = x + torch.addmm(self.attn_proj_b, att, self.attn_proj_w).reshape(b, t, c)
        hidden = F.gelu(torch.addmm(self.c_fc_b, self.ln_2(x).reshape(b * t, c), self.c_fc_w), approximate="tanh")
        return x + torch.addmm(self.mlp_proj_b, hidden, self.mlp_proj_w).reshape(b, t, c)


class GPT(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["nEmbd"]
        self.wte = torch.nn.Parameter(torch.empty(cfg["vocabSize"], c))
        self.wpe = torch.nn.Parameter(torch.empty(cfg["nPositions"], c))
        self.h = torch.nn.ModuleList(Block(c, cfg["nHead"]) for _ in range(cfg["nLayer"]))
        self.ln_f = torch.nn.LayerNorm(c, eps=1e-5)

    def forward(self, ids):
        b, t = ids.shape
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        x = self.wte[ids] + self.wpe[:t]  # (B, T, C)
        for block in self.h:
            x = block(x, causal)
        return self.ln_f(x) @ self.wte.t()  # (B, T, V), classifier tied to wte


# @lab/models parameter name -> this module's
RENAMES = {"attn.c_attn.weight": "c_attn_w", "attn.c_attn.bias": "c_attn_b", "attn.c_proj.weight": "attn_proj_w",
           "attn.c_proj.bias": "attn_proj_b", "mlp.c_fc.weight": "c_fc_w", "mlp.c_fc.bias": "c_fc_b",
           "mlp.c_proj.weight": "mlp_proj_w", "mlp.c_proj.bias": "mlp_proj_b"}


def load(directory):
    index = json.load(open(os.path.join(directory, "index.json")))
    cfg = index["config"]
    model = GPT(cfg)
    flat = np.fromfile(os.path.join(directory, "weights.f32"), dtype="<f4")
    params = dict(model.named_parameters())
    for p in index["params"]:
        name = p["name"]
        for ours, theirs in RENAMES.items():
            if name.endswith(ours):
                name = name[: -len(ours)] + theirs
        name = name.replace("wte.weight", "wte").replace("wpe.weight", "wpe")
        values = flat[p["offset"]: p["offset"] + p["length"]].reshape(p["shape"])
        with torch.no_grad():
            params.pop(name).copy_(torch.from_numpy(values.copy()))
    if params:
        raise SystemExit(f"weights missing for {sorted(params)}")
    batch = np.fromfile(os.path.join(directory, "batch.i32"), dtype="<i4").astype(np.int64)
    b, t = cfg["batch"], cfg["nPositions"]
    x = torch.from_numpy(batch[: b * t].reshape(b, t))
    y = torch.from_numpy(batch[b * t:].reshape(b, t))
    return cfg, model, x, y


def train(directory):
    cfg, model, x, y = load(directory)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    losses = []

    def step():
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg["vocabSize"]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    # OpenMP threads spin while waiting, so on a busy machine one thread can beat all of them: the
    # faster of the two counts as PyTorch's figure, and both are reported.
    by_threads = {}
    for threads in sorted({os.cpu_count() or 1, 1}, reverse=True):
        torch.set_num_threads(threads)
        by_threads[threads] = median_seconds(step, 2, 7)
    best = min(by_threads, key=by_threads.get)
    torch.set_num_threads(best)
    seconds = by_threads[best]
    tokens = cfg["batch"] * cfg["nPositions"]
    return {"tokensPerSecond": tokens / seconds, "stepSeconds": seconds, "firstLoss": losses[0],
            "tokensPerSecondByThreads": {str(k): tokens / v for k, v in by_threads.items()}}


def main():
    task = sys.argv[1]
    result = matmul() if task == "matmul" else train(sys.argv[2])
    result.update({"version": torch.__version__, "blas": blas_name(), "threads": torch.get_num_threads()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
