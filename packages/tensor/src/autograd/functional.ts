import { GradError } from '../errors.js';
import { scope } from '../memory.js';
import { zerosLike } from '../ops/creation.js';
import { view } from '../ops/movement.js';
import type { Tensor } from '../tensor.js';
import { gradients } from './engine.js';
import { isGradEnabled } from './mode.js';

/**
 * Wraps `fn` so that it returns its scalar value and the gradient with respect to every argument. When
 * an argument itself requires a gradient (an outer `grad` is recording), the returned gradients stay on
 * the graph, so `grad(grad(f))` gives second derivatives. Otherwise the tensors fn creates are disposed
 * when it returns, so the returned value cannot be passed to `backward()`.
 */
export function valueAndGrad<A extends Tensor[]>(fn: (...args: A) => Tensor): (...args: A) => { value: Tensor; grads: Tensor[] } {
  return (...args: A) => {
    const outer = isGradEnabled() && args.some((a) => a.requiresGrad);
    if (!isGradEnabled()) throw new GradError('valueAndGrad: called inside noGrad, where nothing is recorded');
    // Without an outer grad, fn's intermediates are needed only here, so a scope frees them and keeps
    // the returned value and gradients; under an outer grad they are part of its graph and must stay.
    return outer ? evaluate(fn, args, true) : scope(() => evaluate(fn, args, false));
  };
}

function evaluate<A extends Tensor[]>(fn: (...args: A) => Tensor, args: A, outer: boolean): { value: Tensor; grads: Tensor[] } {
  const inputs = args.map((a) => view(a).setRequiresGrad()) as A;
  const value = fn(...inputs);
  if (value.size !== 1) throw new GradError(`valueAndGrad: fn returned shape [${value.shape}]; it must return one element`);
  const grads = value.requiresGrad ? gradients(value, inputs, undefined, { createGraph: outer }) : inputs.map(() => null);
  const filled = grads.map((g, i) => g ?? zerosLike(inputs[i]));
  return { value, grads: filled };
}

/** Wraps `fn` so that it returns the gradient of its scalar output with respect to each argument. */
export function grad<A extends Tensor[]>(fn: (...args: A) => Tensor): (...args: A) => Tensor[] {
  const both = valueAndGrad(fn);
  return (...args: A) => {
    const { value, grads } = both(...args);
    value.dispose();
    return grads;
  };
}
