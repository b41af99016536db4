import type { OutputSpec } from '../../backend.js';
import type { GpuBuffer } from './dispatch.js';
import {
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
  viewOfOutput,
} from './kernel.js';
import { checkElementCount } from './limits.js';
import { runMap, SCALAR_AT } from './map.js';
import { entry, Meta, storage, WG } from './wgsl.js';

/** Keys held in workgroup memory per query row. Longer rows are composed from matmul and softmax. */
export const MAX_FUSED_KEYS = 2048;

/**
 * One workgroup per query row (b, h, i): scores of the allowed keys into workgroup memory, softmax
 * there, then each thread sums one output channel. Words: 0 B, 1 H, 2 T, 3 S, 4 D, 5 Dv, 6 group,
 * 7 scale, 8 causal, then the views of q, k, v (and mask), each an offset and four strides.
 */
function fusedSource(hasMask: boolean): string {
  const view = (name: string, at: number) =>
    `fn ${name}_at(a: u32, b: u32, c: u32, d: u32) -> u32 { return m(${at}u) + a * m(${at + 1}u) + b * m(${at + 2}u) + c * m(${at + 3}u) + d * m(${at + 4}u); }\n`;
  const maskTest = hasMask ? ' && mask[mask_at(b, h, i, j)] != 0u' : '';
  return (
    storage(1, 'q', 'f32', 'read') +
    storage(2, 'k', 'f32', 'read') +
    storage(3, 'v', 'f32', 'read') +
    (hasMask ? storage(4, 'mask', 'u32', 'read') : '') +
    storage(hasMask ? 5 : 4, 'out', 'f32', 'read_write') +
    view('q', 9) +
    view('k', 14) +
    view('v', 19) +
    (hasMask ? view('mask', 24) : '') +
    `var<workgroup> scores: array<f32, ${MAX_FUSED_KEYS}>;
var<workgroup> red: array<f32, ${WG}>;
fn merge(v: f32, lid: u32, take_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var half = ${WG / 2}u; half > 0u; half = half >> 1u) {
    if (lid < half) {
      let a = red[lid];
      let o = red[lid + half];
      if (take_max) { red[lid] = select(select(o, a, a > o), a, is_nan(a)); if (is_nan(o)) { red[lid] = o; } }
      else { red[lid] = a + o; }
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
` +
    entry(
      WG,
      `  let rows = m(0u) * m(1u) * m(2u);
  if (wg >= rows) { return; }
  let i = wg % m(2u);
  let h = (wg / m(2u)) % m(1u);
  let b = wg / (m(2u) * m(1u));
  let kvh = h / m(6u);
  let s_len = m(3u);
  let scale = mf(7u);
  var top = neg_inf();
  for (var j = lid; j < s_len; j += ${WG}u) {
    var score = neg_inf();
    let allowed = (m(8u) == 0u || j + m(2u) <= i + s_len)${maskTest};
    if (allowed) {
      var dot = 0.0;
      for (var c = 0u; c < m(4u); c++) { dot += q[q_at(b, h, i, c)] * k[k_at(b, kvh, j, c)]; }
      score = dot * scale;
    }
    scores[j] = score;
    if (is_nan(score) || is_nan(top)) { top = nan_f32(); } else { top = max(top, score); }
  }
  top = merge(top, lid, true);
  var total = 0.0;
  for (var j = lid; j < s_len; j += ${WG}u) {
    let w = select(exp_f(scores[j] - top), 0.0, scores[j] == neg_inf());
    scores[j] = w;
    total += w;
  }
  total = merge(total, lid, false);
  for (var c = lid; c < m(5u); c += ${WG}u) {
    var acc = 0.0;
    for (var j = 0u; j < s_len; j++) {
      let w = scores[j];
      if (w != 0.0) { acc += w * v[v_at(b, kvh, j, c)]; }
    }
    // a query with no allowed key gets zeros
    out[wg * m(5u) + c] = select(acc / total, 0.0, top == neg_inf());
  }`,
    )
  );
}

function pushView4(meta: Meta, v: GpuView): void {
  meta.u32(v.offset, ...v.strides);
}

function fused(
  ctx: KernelContext,
  inputs: readonly GpuView[],
  causal: boolean,
  scale: number,
  out: OutputSpec,
): GpuBuffer {
  const [q, k, v, mask] = inputs;
  const [batch, heads, t, d] = q.shape;
  const [, kvHeads, s] = k.shape;
  const dv = v.shape[3];
  const result = ctx.alloc('attention', out);
  if (batch * heads * t * dv === 0) return result;
  const meta = new Meta();
  meta.u32(batch, heads, t, s, d, dv, heads / kvHeads);
  meta.f32(scale);
  meta.u32(causal ? 1 : 0);
  for (const view of inputs) pushView4(meta, view);
  const bindings = [...inputs.map((view) => ({ buffer: view.buffer })), { buffer: result, write: true }];
  const hasMask = mask !== undefined;
  ctx.gpu.run({
    op: 'attention',
    key: `attention:${hasMask}`,
    source: () => fusedSource(hasMask),
    meta,
    bindings,
    workgroups: batch * heads * t,
  });
  return result;
}

/** (B, Hkv, S, X) seen as (B, Hkv, group, S, X) with the group axis broadcast (stride 0). */
function groupedKv(view: GpuView, group: number): GpuView {
  const [b, hk, s, x] = view.shape;
  const [sb, sh, ss, sx] = view.strides;
  return { ...view, shape: [b, hk, group, s, x], strides: [sb, sh, 0, ss, sx] };
}

/** Long key rows: scores = q k^T by matmul, masked and scaled by a map kernel, softmax, then times v. */
function composed(ctx: KernelContext, inputs: readonly GpuView[], causal: boolean, scale: number): GpuBuffer {
  const [q, k, v, mask] = inputs;
  const [batch, heads, t, d] = q.shape;
  const [, kvHeads, s] = k.shape;
  const group = heads / kvHeads;
  const [qb, qh, qt, qd] = q.strides;
  const q5: GpuView = { ...q, shape: [batch, kvHeads, group, t, d], strides: [qb, qh * group, qh, qt, qd] };
  const k5 = groupedKv(k, group);
  const kT: GpuView = {
    ...k5,
    shape: [batch, kvHeads, group, d, s],
    strides: [k5.strides[0], k5.strides[1], 0, k5.strides[4], k5.strides[3]],
  };
  const scoresShape = [batch, kvHeads, group, t, s];
  const raw = ctx.execute('matmul', [q5, kT], {}, { shape: scoresShape, dtype: 'f32' }); // (B, Hkv, g, T, S)

  const flatShape = [batch, heads, t, s];
  const rawView = viewOfOutput(raw, flatShape, 'f32');
  const maskTest = mask ? ' && a1 != 0u' : '';
  const helpers = `fn allowed(g: u32) -> bool {
  let j = g % m(${SCALAR_AT + 1}u);
  let i = (g / m(${SCALAR_AT + 1}u)) % m(${SCALAR_AT}u);
  return m(${SCALAR_AT + 2}u) == 0u || j + m(${SCALAR_AT}u) <= i + m(${SCALAR_AT + 1}u);
}
`;
  const scalars = [
    { value: t, type: 'u32' as const },
    { value: s, type: 'u32' as const },
    { value: causal ? 1 : 0, type: 'u32' as const },
    { value: scale, type: 'f32' as const },
  ];
  const masked = runMap(ctx, {
    op: 'attention',
    key: `attn-mask:${mask !== undefined}`,
    inputs: mask ? [rawView, mask] : [rawView],
    outShape: flatShape,
    outDtype: 'f32',
    expr: `select(neg_inf(), a0 * mf(${SCALAR_AT + 3}u), allowed(g)${maskTest})`,
    helpers,
    scalars,
  });
  ctx.gpu.free(raw);
  const weights = ctx.execute(
    'softmax',
    [viewOfOutput(masked, flatShape, 'f32')],
    { axis: 3 },
    { shape: flatShape, dtype: 'f32' },
  );
  ctx.gpu.free(masked);
  const w5 = viewOfOutput(weights, scoresShape, 'f32');
  const result = ctx.execute(
    'matmul',
    [w5, groupedKv(v, group)],
    {},
    { shape: [batch, kvHeads, group, t, v.shape[3]], dtype: 'f32' },
  );
  ctx.gpu.free(weights);
  return result;
}

const attentionKernel: GpuKernel<'attention'> = (ctx, inputs, { causal, scale }, out) => {
  const [q, k] = inputs;
  checkElementCount('attention', q.shape[0] * q.shape[1] * q.shape[2] * k.shape[2]);
  if (k.shape[2] > MAX_FUSED_KEYS) return composed(ctx, inputs, causal, scale);
  return fused(ctx, inputs, causal, scale, out);
};

export const ATTENTION_KERNELS: GpuKernelTable<'attention'> = { attention: attentionKernel };
