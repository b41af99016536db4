// Float64 reference forward passes written from the architectures' descriptions (llama2.c's run.c
// loop structure for Llama, GPT-2's block for GPT), with plain loops over host arrays. They share no
// code with the package, so agreement checks the package's layout, RoPE convention and head grouping.

export type Weights = Map<string, ArrayLike<number>>;

function get(w: Weights, name: string): ArrayLike<number> {
  const value = w.get(name);
  if (!value) throw new Error(`reference: missing weight ${name}`);
  return value;
}

/** y = W x for W stored (out, in) row-major. */
function matvec(W: ArrayLike<number>, x: number[], out: number): number[] {
  const n = x.length;
  return Array.from({ length: out }, (_, r) => {
    let s = 0;
    for (let c = 0; c < n; c++) s += W[r * n + c] * x[c];
    return s;
  });
}

/** y = x W + b for W stored (in, out) row-major (GPT-2's Conv1D). */
function conv1d(x: number[], W: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out = b.length;
  return Array.from({ length: out }, (_, c) => {
    let s = b[c];
    for (let r = 0; r < x.length; r++) s += x[r] * W[r * out + c];
    return s;
  });
}

function rmsnorm(x: number[], weight: ArrayLike<number>, eps: number): number[] {
  const ss = x.reduce((a, v) => a + v * v, 0) / x.length;
  const scale = 1 / Math.sqrt(ss + eps);
  return x.map((v, i) => v * scale * weight[i]);
}

function layernorm(x: number[], weight: ArrayLike<number>, bias: ArrayLike<number>, eps: number): number[] {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * weight[i] + bias[i]);
}

function softmaxInPlace(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export interface LlamaShape {
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  tied: boolean;
}

/**
 * llama2.c's forward for one sequence, position by position with a key/value history. Weight names
 * follow llama2.c's blocks: per layer `rms_att.L`, `wq.L`, ... and `emb`, `rms_final`, `wcls`.
 * Returns the logits of every position, (T, V).
 */
export function llamaReference(w: Weights, s: LlamaShape, ids: number[]): number[][] {
  const head = s.dim / s.heads;
  const kvDim = head * s.kvHeads;
  const groups = s.heads / s.kvHeads;
  const keys: number[][][] = Array.from({ length: s.layers }, () => []);
  const values: number[][][] = Array.from({ length: s.layers }, () => []);
  const emb = get(w, 'emb');
  return ids.map((token, pos) => {
    let x = Array.from({ length: s.dim }, (_, i) => emb[token * s.dim + i]);
    for (let l = 0; l < s.layers; l++) {
      const xb = rmsnorm(x, get(w, `rms_att.${l}`), 1e-5);
      const q = matvec(get(w, `wq.${l}`), xb, s.dim);
      const k = matvec(get(w, `wk.${l}`), xb, kvDim);
      const v = matvec(get(w, `wv.${l}`), xb, kvDim);
      // run.c: for i in steps of 2 over the whole vector, angle uses (i % head_size)
      for (let i = 0; i < s.dim; i += 2) {
        const freq = 1 / 10000 ** ((i % head) / head);
        const [c, sn] = [Math.cos(pos * freq), Math.sin(pos * freq)];
        const vectors = i < kvDim ? [q, k] : [q];
        for (const vec of vectors) {
          const [v0, v1] = [vec[i], vec[i + 1]];
          vec[i] = v0 * c - v1 * sn;
          vec[i + 1] = v0 * sn + v1 * c;
        }
      }
      keys[l].push(k);
      values[l].push(v);
      const att = new Array<number>(s.dim).fill(0);
      for (let h = 0; h < s.heads; h++) {
        const kvOffset = Math.floor(h / groups) * head;
        const scores = keys[l].map((kt) => {
          let dot = 0;
          for (let d = 0; d < head; d++) dot += q[h * head + d] * kt[kvOffset + d];
          return dot / Math.sqrt(head);
        });
        const p = softmaxInPlace(scores);
        for (let t = 0; t <= pos; t++)
          for (let d = 0; d < head; d++) att[h * head + d] += p[t] * values[l][t][kvOffset + d];
      }
      const o = matvec(get(w, `wo.${l}`), att, s.dim);
      x = x.map((xi, i) => xi + o[i]);
      const xf = rmsnorm(x, get(w, `rms_ffn.${l}`), 1e-5);
      const a = matvec(get(w, `w1.${l}`), xf, s.hidden);
      const b = matvec(get(w, `w3.${l}`), xf, s.hidden);
      const gated = a.map((ai, i) => (ai / (1 + Math.exp(-ai))) * b[i]);
      const f = matvec(get(w, `w2.${l}`), gated, s.dim);
      x = x.map((xi, i) => xi + f[i]);
    }
    const final = rmsnorm(x, get(w, 'rms_final'), 1e-5);
    return matvec(s.tied ? emb : get(w, 'wcls'), final, s.vocab);
  });
}

export interface GptShape {
  embd: number;
  layers: number;
  heads: number;
  vocab: number;
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** GPT-2's forward for one sequence, weights by Hugging Face names without a prefix. (T, V) logits. */
export function gptReference(w: Weights, s: GptShape, ids: number[]): number[][] {
  const C = s.embd;
  const head = C / s.heads;
  const wte = get(w, 'wte.weight');
  const wpe = get(w, 'wpe.weight');
  let xs = ids.map((token, t) => Array.from({ length: C }, (_, i) => wte[token * C + i] + wpe[t * C + i]));
  for (let l = 0; l < s.layers; l++) {
    const p = (name: string) => get(w, `h.${l}.${name}`);
    const qkv = xs.map((x) =>
      conv1d(
        layernorm(x, p('ln_1.weight'), p('ln_1.bias'), 1e-5),
        p('attn.c_attn.weight'),
        p('attn.c_attn.bias'),
      ),
    );
    const attended = xs.map((_, t) => {
      const out = new Array<number>(C).fill(0);
      for (let h = 0; h < s.heads; h++) {
        const scores = [];
        for (let j = 0; j <= t; j++) {
          let dot = 0;
          for (let d = 0; d < head; d++) dot += qkv[t][h * head + d] * qkv[j][C + h * head + d];
          scores.push(dot / Math.sqrt(head));
        }
        const probs = softmaxInPlace(scores);
        for (let j = 0; j <= t; j++)
          for (let d = 0; d < head; d++) out[h * head + d] += probs[j] * qkv[j][2 * C + h * head + d];
      }
      return out;
    });
    xs = xs.map((x, t) => {
      const a = conv1d(attended[t], p('attn.c_proj.weight'), p('attn.c_proj.bias'));
      return x.map((xi, i) => xi + a[i]);
    });
    xs = xs.map((x) => {
      const hidden = conv1d(
        layernorm(x, p('ln_2.weight'), p('ln_2.bias'), 1e-5),
        p('mlp.c_fc.weight'),
        p('mlp.c_fc.bias'),
      ).map(geluTanh);
      const m = conv1d(hidden, p('mlp.c_proj.weight'), p('mlp.c_proj.bias'));
      return x.map((xi, i) => xi + m[i]);
    });
  }
  return xs.map((x) => matvec(wte, layernorm(x, get(w, 'ln_f.weight'), get(w, 'ln_f.bias'), 1e-5), s.vocab));
}
