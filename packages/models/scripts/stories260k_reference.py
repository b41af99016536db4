"""Independent float32 re-implementation of llama2.c's forward pass (legacy v0 .bin format) in NumPy.

Produces the greedy token ids for stories260K from BOS with no prompt, used as the expected
values of the TypeScript loader test. Run: /usr/bin/python3 scripts/stories260k_reference.py [steps]
"""
import struct
import sys

import numpy as np

ROOT = __file__.rsplit("/packages/", 1)[0]
MODEL = f"{ROOT}/data/stories260K/stories260K.bin"
TOKENIZER = f"{ROOT}/data/stories260K/tok512.bin"


def load(path):
    raw = open(path, "rb").read()
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // heads
    kv_dim = kv_heads * head
    floats = np.frombuffer(raw, dtype="<f4", offset=28)
    at = 0

    def take(*shape):
        nonlocal at
        n = int(np.prod(shape))
        out = floats[at : at + n].reshape(shape)
        at += n
        return out

    w = dict(
        emb=take(vocab, dim), rms_att=take(layers, dim), wq=take(layers, dim, dim),
        wk=take(layers, kv_dim, dim), wv=take(layers, kv_dim, dim), wo=take(layers, dim, dim),
        rms_ffn=take(layers, dim), w1=take(layers, hidden, dim), w2=take(layers, dim, hidden),
        w3=take(layers, hidden, dim), rms_final=take(dim),
    )
    take(seq_len * head // 2)
    take(seq_len * head // 2)
    w["cls"] = w["emb"] if shared else take(vocab, dim)
    assert at == floats.size, (at, floats.size)
    cfg = dict(dim=dim, layers=layers, heads=heads, kv_heads=kv_heads, head=head, seq_len=seq_len)
    return cfg, w


def rmsnorm(x, weight):
    return (x / np.sqrt(np.mean(x * x) + np.float32(1e-5))).astype(np.float32) * weight


def rope(vec, pos, head):
    out = vec.copy()
    for i in range(0, vec.size, 2):
        freq = 1.0 / 10000.0 ** ((i % head) / head)
        c, s = np.cos(pos * freq), np.sin(pos * freq)
        out[i] = vec[i] * c - vec[i + 1] * s
        out[i + 1] = vec[i] * s + vec[i + 1] * c
    return out


def generate(cfg, w, steps):
    L, H, Hkv, D = cfg["layers"], cfg["heads"], cfg["kv_heads"], cfg["head"]
    keys = np.zeros((L, steps, Hkv, D), np.float32)
    values = np.zeros((L, steps, Hkv, D), np.float32)
    token, out = 1, []
    for pos in range(steps):
        x = w["emb"][token].copy()
        for l in range(L):
            xb = rmsnorm(x, w["rms_att"][l])
            q = rope(w["wq"][l] @ xb, pos, D).reshape(H, D)
            keys[l, pos] = rope(w["wk"][l] @ xb, pos, D).reshape(Hkv, D)
            values[l, pos] = (w["wv"][l] @ xb).reshape(Hkv, D)
            att_out = np.zeros((H, D), np.float32)
            for h in range(H):
                kv = h // (H // Hkv)
                scores = keys[l, : pos + 1, kv] @ q[h] / np.sqrt(D)
                p = np.exp(scores - scores.max())
                p /= p.sum()
                att_out[h] = p @ values[l, : pos + 1, kv]
            x = x + w["wo"][l] @ att_out.reshape(-1)
            xb = rmsnorm(x, w["rms_ffn"][l])
            a = w["w1"][l] @ xb
            silu = a / (1.0 + np.exp(-a))
            x = x + w["w2"][l] @ (silu * (w["w3"][l] @ xb))
        logits = w["cls"] @ rmsnorm(x, w["rms_final"])
        token = int(np.argmax(logits))
        out.append(token)
    return out


def pieces(path):
    raw = open(path, "rb").read()
    at, out = 4, []
    while at < len(raw):
        _, n = struct.unpack("<fi", raw[at : at + 8])
        out.append(raw[at + 8 : at + 8 + n])
        at += 8 + n
    return out


def decode(ids, vocab):
    text, prev = b"", 1
    for t in ids:
        piece = vocab[t]
        if prev == 1 and piece.startswith(b" "):
            piece = piece[1:]
        if piece.startswith(b"<0x") and len(piece) == 6:
            piece = bytes([int(piece[3:5], 16)])
        text += piece
        prev = t
    return text.decode("utf-8", "replace")


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    cfg, w = load(MODEL)
    ids = generate(cfg, w, steps)
    print(ids)
    print(repr(decode(ids, pieces(TOKENIZER))))
