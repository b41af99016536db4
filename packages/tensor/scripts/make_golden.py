"""Writes the PyTorch golden fixtures that test/golden.test.ts compares @lab/tensor against.

Regenerate from the repository root with a Python that has PyTorch (1.13 was used):

    /usr/bin/python3 packages/tensor/scripts/make_golden.py

The fixtures are committed, so CI and the TypeScript tests never need torch. Every input is drawn in
float32 from a fixed seed and stored in the fixture, so the test feeds exactly the values torch saw.
For each case the fixture contains the inputs, the attributes, the output, a random weight w of the
output's shape, and the gradient of sum(output * w) with respect to every float input (float32
autograd). Floats are written with 9 significant digits, enough to round-trip a float32 exactly.

Layout conventions follow @lab/tensor, not torch: classes on the last axis for cross-entropy,
attention inputs as (B, H, T, D), linear weights as (in, out) so that a layer is x @ W + b.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 20240611
OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures"))

gen = torch.Generator().manual_seed(SEED)


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float32) * scale


def uniform(*shape, low=0.0, high=1.0):
    return torch.rand(tuple(shape), generator=gen, dtype=torch.float32) * (high - low) + low


def away_from_zero(*shape, low=0.5, high=1.5):
    """Draws values with |v| in [low, high) and a random sign, safe as divisors and as factors of a product."""
    magnitude = uniform(*shape, low=low, high=high)
    sign = torch.where(uniform(*shape) < 0.5, -1.0, 1.0)
    return magnitude * sign


def f32_list(t):
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def encode(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(v) for v in t.reshape(-1).tolist()]}
    if t.dtype in (torch.int32, torch.int64):
        return {"shape": list(t.shape), "dtype": "i32", "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "f32", "data": f32_list(t)}


def case(name, op, inputs, fn, attrs=None):
    """Runs fn on leaf copies of the named inputs and records output, w and d sum(output * w) / d input."""
    attrs = attrs or {}
    leaves = {}
    for key, value in inputs.items():
        leaf = value.clone()
        if leaf.is_floating_point():
            leaf.requires_grad_(True)
        leaves[key] = leaf
    output = fn(leaves, attrs)
    # |w| >= 0.5 so that no gradient is scaled down to the size of the tolerance.
    weight = away_from_zero(*output.shape)
    (output * weight).sum().backward()
    grads = {key: encode(leaf.grad) for key, leaf in leaves.items() if leaf.is_floating_point()}
    return {
        "name": name,
        "op": op,
        "inputs": {key: encode(value) for key, value in inputs.items()},
        "attrs": attrs,
        "output": encode(output),
        "weight": encode(weight),
        "grads": grads,
    }


def unary(fn):
    return lambda t, a: fn(t["x"])


def elementwise_cases():
    wide = randn(3, 5, scale=3.0)
    return [
        case("exp", "exp", {"x": randn(3, 5, scale=2.0)}, unary(torch.exp)),
        case("log", "log", {"x": uniform(3, 5, low=0.05, high=4.0)}, unary(torch.log)),
        case("tanh", "tanh", {"x": wide}, unary(torch.tanh)),
        case("sigmoid", "sigmoid", {"x": wide}, unary(torch.sigmoid)),
        case("logSigmoid", "logSigmoid", {"x": randn(3, 5, scale=6.0)}, unary(F.logsigmoid)),
        # torch switches softplus to the identity above x = 20, so the inputs stay below that.
        case("softplus", "softplus", {"x": randn(3, 5, scale=6.0)}, unary(F.softplus)),
        case("gelu exact", "gelu", {"x": wide}, unary(F.gelu)),
        case("gelu tanh", "geluTanh", {"x": wide}, unary(lambda x: F.gelu(x, approximate="tanh"))),
        case("silu", "silu", {"x": wide}, unary(F.silu)),
        case(
            "pow tensor exponent",
            "pow",
            {"a": uniform(3, 4, low=0.2, high=2.5), "b": randn(3, 4)},
            lambda t, a: torch.pow(t["a"], t["b"]),
        ),
        case(
            "pow scalar exponent negative base",
            "powScalar",
            {"a": randn(3, 4, scale=1.5)},
            lambda t, a: torch.pow(t["a"], a["exponent"]),
            {"exponent": 3},
        ),
        case(
            "div broadcast",
            "div",
            {"a": randn(2, 3, 4), "b": away_from_zero(3, 1)},
            lambda t, a: t["a"] / t["b"],
        ),
        case(
            "maximum broadcast",
            "maximum",
            {"a": randn(2, 3, 4), "b": randn(4)},
            lambda t, a: torch.maximum(t["a"], t["b"]),
        ),
    ]


def reduce_cases():
    x = randn(2, 3, 4)
    return [
        case("sum axes 0 2 keepdim", "sum", {"x": x}, lambda t, a: t["x"].sum(dim=(0, 2), keepdim=True), {"axis": [0, 2], "keepDims": True}),
        case("sum axis 1", "sum", {"x": x}, lambda t, a: t["x"].sum(dim=1), {"axis": 1, "keepDims": False}),
        case("sum all", "sum", {"x": x}, lambda t, a: t["x"].sum(), {"axis": None, "keepDims": False}),
        case("mean last axis keepdim", "mean", {"x": x}, lambda t, a: t["x"].mean(dim=-1, keepdim=True), {"axis": -1, "keepDims": True}),
        case("mean axes 0 1", "mean", {"x": x}, lambda t, a: t["x"].mean(dim=(0, 1)), {"axis": [0, 1], "keepDims": False}),
        case("logsumexp axis 1", "logsumexp", {"x": x}, lambda t, a: torch.logsumexp(t["x"], dim=1), {"axis": 1, "keepDims": False}),
        # Large logits: a naive exp would overflow float32.
        case(
            "logsumexp large keepdim",
            "logsumexp",
            {"x": randn(3, 6, scale=40.0) + 60.0},
            lambda t, a: torch.logsumexp(t["x"], dim=-1, keepdim=True),
            {"axis": -1, "keepDims": True},
        ),
        # torch.var's default correction is 1: sum((x - mean)^2) / (N - 1).
        case("var axis 1 keepdim", "var", {"x": x}, lambda t, a: torch.var(t["x"], dim=1, keepdim=True), {"axis": 1, "keepDims": True, "correction": 1}),
        case("var all", "var", {"x": x}, lambda t, a: torch.var(t["x"]), {"axis": None, "keepDims": False, "correction": 1}),
        case("prod axis 1", "prod", {"x": away_from_zero(2, 5, 3)}, lambda t, a: t["x"].prod(dim=1), {"axis": 1, "keepDims": False}),
        case("prod all", "prod", {"x": away_from_zero(2, 4, low=0.6, high=1.4)}, lambda t, a: t["x"].prod(), {"axis": None, "keepDims": False}),
        case(
            "matmul batched broadcast",
            "matmul",
            {"a": randn(2, 1, 3, 4), "b": randn(3, 4, 5)},
            lambda t, a: torch.matmul(t["a"], t["b"]),
        ),
        case("matmul matrix vector", "matmul", {"a": randn(2, 3, 6), "b": randn(6)}, lambda t, a: torch.matmul(t["a"], t["b"])),
    ]


def causal_allowed(t, s):
    # Query i may attend to key j <= i + (S - T), so the last query attends to every key (the @lab/tensor convention).
    return torch.ones(t, s, dtype=torch.bool).tril(s - t)


def attention_reference(t, a):
    """Computes scaled dot-product attention in plain torch ops, repeating k and v heads for grouped queries."""
    q, k, v = t["q"], t["k"], t["v"]
    group = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, T, S)
    allowed = torch.ones(scores.shape, dtype=torch.bool)
    if a["causal"]:
        allowed = allowed & causal_allowed(q.shape[2], k.shape[2])
    if "mask" in t:
        allowed = allowed & t["mask"]
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    return weights @ v


def cross_entropy_reference(t, a):
    logits, targets = t["logits"], t["targets"].long()
    classes = logits.shape[-1]
    loss = F.cross_entropy(
        logits.reshape(-1, classes),
        targets.reshape(-1),
        ignore_index=a["ignoreIndex"],
        reduction=a["reduction"],
        label_smoothing=a["labelSmoothing"],
    )
    return loss.reshape(targets.shape) if a["reduction"] == "none" else loss


def rms_norm_reference(t, a):
    x = t["x"]
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + a["eps"]) * t["weight"]


def fused_cases():
    logits = randn(6, 5, scale=2.0)
    targets = torch.tensor([1, 4, -100, 0, 2, 4], dtype=torch.int32)
    padding = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool).reshape(2, 1, 1, 5)
    ce = "crossEntropy"
    return [
        case("softmax last axis", "softmax", {"x": randn(3, 7, scale=3.0)}, lambda t, a: torch.softmax(t["x"], dim=-1), {"axis": -1}),
        case("softmax axis 0", "softmax", {"x": randn(4, 3, 2)}, lambda t, a: torch.softmax(t["x"], dim=0), {"axis": 0}),
        case("logSoftmax axis 1", "logSoftmax", {"x": randn(2, 6, 3, scale=3.0)}, lambda t, a: torch.log_softmax(t["x"], dim=1), {"axis": 1}),
        case("crossEntropy mean ignore", ce, {"logits": logits, "targets": targets}, cross_entropy_reference,
             {"ignoreIndex": -100, "reduction": "mean", "labelSmoothing": 0.0}),
        case("crossEntropy mean smoothing", ce, {"logits": logits, "targets": targets}, cross_entropy_reference,
             {"ignoreIndex": -100, "reduction": "mean", "labelSmoothing": 0.1}),
        case("crossEntropy sum smoothing", ce, {"logits": logits, "targets": targets}, cross_entropy_reference,
             {"ignoreIndex": -100, "reduction": "sum", "labelSmoothing": 0.25}),
        case("crossEntropy none custom ignore", ce,
             {"logits": randn(2, 3, 4, scale=2.0), "targets": torch.tensor([[0, 3, 2], [2, 1, 2]], dtype=torch.int32)},
             cross_entropy_reference, {"ignoreIndex": 2, "reduction": "none", "labelSmoothing": 0.2}),
        case("layerNorm affine", "layerNorm",
             {"x": randn(2, 3, 8, scale=2.0) + 1.0, "weight": randn(8), "bias": randn(8)},
             lambda t, a: F.layer_norm(t["x"], (8,), t["weight"], t["bias"], eps=a["eps"]), {"eps": 1e-5}),
        case("rmsNorm written out", "rmsNorm", {"x": randn(3, 8, scale=2.0), "weight": randn(8)}, rms_norm_reference, {"eps": 1e-6}),
        case("attention causal", "attention", {"q": randn(2, 2, 5, 4), "k": randn(2, 2, 5, 4), "v": randn(2, 2, 5, 4)},
             attention_reference, {"causal": True}),
        case("attention causal shorter queries", "attention",
             {"q": randn(1, 2, 3, 4), "k": randn(1, 2, 5, 4), "v": randn(1, 2, 5, 3)}, attention_reference, {"causal": True}),
        case("attention key padding", "attention",
             {"q": randn(2, 2, 4, 4), "k": randn(2, 2, 5, 4), "v": randn(2, 2, 5, 4), "mask": padding},
             attention_reference, {"causal": False}),
        case("attention grouped query causal", "attention",
             {"q": randn(1, 4, 5, 4), "k": randn(1, 2, 5, 4), "v": randn(1, 2, 5, 4)}, attention_reference, {"causal": True}),
    ]


def order_cases():
    x = randn(3, 6)
    reverse_cumsum = lambda t, a: t["x"].flip(1).cumsum(1).flip(1)
    return [
        case("cumsum axis 1", "cumsum", {"x": x}, lambda t, a: t["x"].cumsum(1), {"axis": 1, "reverse": False}),
        case("cumsum axis 0", "cumsum", {"x": x}, lambda t, a: t["x"].cumsum(0), {"axis": 0, "reverse": False}),
        case("cumsum reverse", "cumsum", {"x": x}, reverse_cumsum, {"axis": 1, "reverse": True}),
        case("cumprod last axis", "cumprod", {"x": away_from_zero(3, 6)}, lambda t, a: t["x"].cumprod(-1), {"axis": -1, "reverse": False}),
        case("sort ascending", "sort", {"x": x}, lambda t, a: torch.sort(t["x"], dim=-1).values, {"axis": -1, "descending": False}),
        case("sort descending axis 0", "sort", {"x": x}, lambda t, a: torch.sort(t["x"], dim=0, descending=True).values,
             {"axis": 0, "descending": True}),
        case("topk largest", "topk", {"x": x}, lambda t, a: torch.topk(t["x"], 3, dim=-1).values, {"k": 3, "axis": -1, "largest": True}),
        case("topk smallest", "topk", {"x": x}, lambda t, a: torch.topk(t["x"], 2, dim=0, largest=False).values,
             {"k": 2, "axis": 0, "largest": False}),
        # torch.quantile's default interpolation is 'linear': position q * (n - 1) in the sorted values.
        case("quantile axis 1", "quantile", {"x": x}, lambda t, a: torch.quantile(t["x"], 0.3, dim=1), {"q": 0.3, "axis": 1, "keepDims": False}),
        case("quantile list keepdim", "quantile", {"x": x},
             lambda t, a: torch.quantile(t["x"], torch.tensor([0.1, 0.5, 0.9]), dim=0, keepdim=True),
             {"q": [0.1, 0.5, 0.9], "axis": 0, "keepDims": True}),
        case("quantile flattened", "quantile", {"x": x}, lambda t, a: torch.quantile(t["x"], 0.75), {"q": 0.75, "axis": None, "keepDims": False}),
    ]


TRANSFORMER = {"vocab": 11, "width": 16, "heads": 2, "layers": 2, "batch": 2, "time": 6, "eps": 1e-5}


def transformer_params():
    """Draws GPT-2 style parameters: linear weights (in, out) with std 0.1 to 0.3, norm weights near 1."""
    v, c, n = TRANSFORMER["vocab"], TRANSFORMER["width"], TRANSFORMER["layers"]
    p = {"wte": randn(v, c, scale=0.5), "wpe": randn(TRANSFORMER["time"], c, scale=0.2)}
    for i in range(n):
        p[f"h{i}.ln1.weight"] = 1.0 + randn(c, scale=0.1)
        p[f"h{i}.ln1.bias"] = randn(c, scale=0.1)
        p[f"h{i}.attn.qkv.weight"] = randn(c, 3 * c, scale=0.2)
        p[f"h{i}.attn.qkv.bias"] = randn(3 * c, scale=0.05)
        p[f"h{i}.attn.proj.weight"] = randn(c, c, scale=0.2)
        p[f"h{i}.attn.proj.bias"] = randn(c, scale=0.05)
        p[f"h{i}.ln2.weight"] = 1.0 + randn(c, scale=0.1)
        p[f"h{i}.ln2.bias"] = randn(c, scale=0.1)
        p[f"h{i}.mlp.fc.weight"] = randn(c, 4 * c, scale=0.2)
        p[f"h{i}.mlp.fc.bias"] = randn(4 * c, scale=0.05)
        p[f"h{i}.mlp.proj.weight"] = randn(4 * c, c, scale=0.1)
        p[f"h{i}.mlp.proj.bias"] = randn(c, scale=0.05)
    p["lnf.weight"] = 1.0 + randn(c, scale=0.1)
    p["lnf.bias"] = randn(c, scale=0.1)
    p["head.weight"] = randn(c, v, scale=0.3)
    return p


def transformer_forward(p, idx):
    """Runs the pre-norm causal transformer and returns logits (B, T, V)."""
    b, t = idx.shape
    c, h, eps = TRANSFORMER["width"], TRANSFORMER["heads"], TRANSFORMER["eps"]
    x = p["wte"][idx] + p["wpe"][:t]  # (B, T, C)
    for i in range(TRANSFORMER["layers"]):
        pre = f"h{i}."
        a = F.layer_norm(x, (c,), p[pre + "ln1.weight"], p[pre + "ln1.bias"], eps)
        qkv = a @ p[pre + "attn.qkv.weight"] + p[pre + "attn.qkv.bias"]  # (B, T, 3C)
        q, k, v = (z.reshape(b, t, h, c // h).transpose(1, 2) for z in qkv.split(c, dim=-1))  # (B, H, T, D)
        y = attention_reference({"q": q, "k": k, "v": v}, {"causal": True})  # (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, c)
        x = x + y @ p[pre + "attn.proj.weight"] + p[pre + "attn.proj.bias"]
        m = F.layer_norm(x, (c,), p[pre + "ln2.weight"], p[pre + "ln2.bias"], eps)
        m = F.gelu(m @ p[pre + "mlp.fc.weight"] + p[pre + "mlp.fc.bias"], approximate="tanh")  # (B, T, 4C)
        x = x + m @ p[pre + "mlp.proj.weight"] + p[pre + "mlp.proj.bias"]
    x = F.layer_norm(x, (c,), p["lnf.weight"], p["lnf.bias"], eps)
    return x @ p["head.weight"]  # (B, T, V)


def transformer_case():
    params = transformer_params()
    b, t, v = TRANSFORMER["batch"], TRANSFORMER["time"], TRANSFORMER["vocab"]
    tokens = torch.randint(0, v, (b, t + 1), generator=gen)
    leaves = {key: value.clone().requires_grad_(True) for key, value in params.items()}
    logits = transformer_forward(leaves, tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, v), tokens[:, 1:].reshape(-1))
    loss.backward()
    return {
        "config": TRANSFORMER,
        "tokens": encode(tokens.to(torch.int32)),
        "params": {key: encode(value) for key, value in params.items()},
        "logits": encode(logits),
        "loss": float(f"{loss.item():.9g}"),
        "grads": {key: encode(leaf.grad) for key, leaf in leaves.items()},
    }


def write(name, body):
    path = os.path.join(OUT_DIR, f"golden-{name}.json")
    header = {"generator": "packages/tensor/scripts/make_golden.py", "torch": torch.__version__, "seed": SEED}
    if isinstance(body, list):
        lines = ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in body)
        text = json.dumps(header)[:-1] + ', "cases": [\n' + lines + "\n]}\n"
    else:
        text = json.dumps({**header, **body}, separators=(",", ":")) + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(f"{path}: {len(text)} bytes")


def main():
    torch.manual_seed(SEED)
    os.makedirs(OUT_DIR, exist_ok=True)
    write("elementwise", elementwise_cases())
    write("reduce", reduce_cases())
    write("fused", fused_cases())
    write("order", order_cases())
    write("transformer", transformer_case())


if __name__ == "__main__":
    main()
