import { noGrad } from '../autograd/mode.js';
import { ArgumentError } from '../errors.js';
import { keep, scope } from '../memory.js';
import { zeros } from '../ops/creation.js';
import { add, castTo, clamp, div, mul, sqrt } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

/**
 * Scales all gradients together so that their joint L2 norm is at most `maxNorm`, as PyTorch's
 * clip_grad_norm_: every grad is multiplied by min(1, maxNorm / (norm + 1e-6)). Parameters without a
 * gradient are skipped.
 *
 * Returns the norm before clipping as a scalar tensor that the caller owns; read it with
 * `await norm.item()`. It is a tensor, not a number, so that clipping needs no read back from the
 * device and works on backends without synchronous reads.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  if (!(maxNorm > 0 && Number.isFinite(maxNorm))) throw new ArgumentError('clipGradNorm', `maxNorm = ${maxNorm} must be a finite positive number`);
  const withGrad = [...params].filter((p) => p.grad !== null);
  if (withGrad.length === 0) return zeros([]);

  return noGrad(() =>
    scope(() => {
      const squares = withGrad.map((p) => sum(mul(p.grad!, p.grad!)));
      const norm = sqrt(squares.reduce((total, s) => add(total, s)));
      const coefficient = clamp(div(maxNorm, add(norm, 1e-6)), null, 1);
      for (const p of withGrad) {
        const previous = p.grad!;
        p.grad = keep(mul(previous, castTo(coefficient, previous.dtype)));
        previous.dispose();
      }
      return norm;
    }),
  );
}
