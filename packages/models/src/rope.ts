import { add, concat, fromArray, mul, narrow, reshape, sub, type Tensor } from '@lab/tensor';

/**
 * cos and sin of the rotation angles pos * theta^(-2i / D) for positions start..start+T-1 and pair
 * index i < D/2, each shaped (T, 1, D/2, 1) to broadcast over (B, T, H, D/2, 2) pairs.
 */
function rotationTables(
  start: number,
  length: number,
  headSize: number,
  theta: number,
  like: Tensor,
): { cos: Tensor; sin: Tensor } {
  const half = headSize / 2;
  const cos = new Float64Array(length * half);
  const sin = new Float64Array(length * half);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (start + t) * theta ** ((-2 * i) / headSize);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  const options = { dtype: like.dtype, backend: like.backend.name };
  return {
    cos: fromArray(cos, [length, 1, half, 1], options),
    sin: fromArray(sin, [length, 1, half, 1], options),
  };
}

/**
 * Rotary position embedding as llama2.c applies it: within each head, the pair of features
 * (2i, 2i+1) at position p is rotated by the angle p * theta^(-2i / D), D the head size:
 *   x'[2i]   = x[2i] cos - x[2i+1] sin
 *   x'[2i+1] = x[2i] sin + x[2i+1] cos
 * x: (B, T, H, D), its first token at position `start`.
 */
export function applyRope(x: Tensor, start: number, theta: number): Tensor {
  const [b, t, h, d] = x.shape;
  const { cos, sin } = rotationTables(start, t, d, theta, x);
  const pairs = reshape(x, [b, t, h, d / 2, 2]); // (B, T, H, D/2, 2)
  const even = narrow(pairs, 4, 0, 1); // (B, T, H, D/2, 1)
  const odd = narrow(pairs, 4, 1, 1); // (B, T, H, D/2, 1)
  const rotatedEven = sub(mul(even, cos), mul(odd, sin));
  const rotatedOdd = add(mul(even, sin), mul(odd, cos));
  return reshape(concat([rotatedEven, rotatedOdd], 4), [b, t, h, d]); // (B, T, H, D)
}
