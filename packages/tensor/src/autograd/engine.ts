import { DisposedError, GradError } from '../errors.js';
import { keep, scope } from '../memory.js';
import { add, detach, onesLike, view } from '../ops/api.js';
import { RULES } from '../ops/rules.js';
import type { VjpArgs } from '../ops/rule.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, withGradMode } from './mode.js';

export interface GradientOptions {
  /** Record the backward pass itself, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
}

/** Tensors on a path from `outputs` back to `targets`, in an order where every tensor follows its users. */
function orderFromOutputs(outputs: readonly Tensor[], targets: ReadonlySet<Tensor> | null): Tensor[] {
  const leadsToTarget = new Map<Tensor, boolean>();
  const postOrder: Tensor[] = [];
  const visit = (root: Tensor): void => {
    const stack: [Tensor, number][] = [[root, 0]];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const [t, next] = frame;
      if (t.isDisposed) {
        throw new DisposedError('backward', `a tensor of shape [${t.shape}] on the graph was disposed before backward() ran; keep it alive until then`);
      }
      if (next === 0 && leadsToTarget.has(t)) {
        stack.pop();
        continue;
      }
      const isTarget = targets ? targets.has(t) : t.node === null && t.requiresGrad;
      const inputs = isTarget || t.node === null ? [] : t.node.inputs;
      if (next < inputs.length) {
        frame[1] = next + 1;
        if (!leadsToTarget.has(inputs[next])) stack.push([inputs[next], 0]);
        continue;
      }
      stack.pop();
      const reaches = isTarget || inputs.some((i) => leadsToTarget.get(i) === true);
      leadsToTarget.set(t, reaches);
      if (reaches) postOrder.push(t);
    }
  };
  for (const o of outputs) visit(o);
  return postOrder.reverse();
}

function runVjp(t: Tensor, g: Tensor, grads: Map<Tensor, Tensor>, createGraph: boolean): void {
  const node = t.node!;
  const rule = RULES[node.op];
  node.inputs.forEach((input, i) => {
    if (input.isDisposed) {
      throw new DisposedError('backward', `input ${i} of ${node.op} was disposed before backward() ran; keep it alive until then`);
    }
  });
  const needs = node.inputs.map((i) => i.requiresGrad);
  const args = { inputs: node.inputs, output: t, attrs: node.attrs, g, needs } as VjpArgs<typeof node.op>;
  const compute = () => rule.vjp!(args as never);
  const inputGrads = createGraph ? withGradMode(true, compute) : noGrad(() => scope(compute));
  // A rule may pass `g` through or return one tensor for two inputs. Each stored gradient gets its own
  // handle, so disposing one never frees another.
  const seen = new Set<Tensor>([g]);
  node.inputs.forEach((input, i) => {
    let gi = inputGrads[i];
    if (gi && seen.has(gi)) gi = view(gi);
    if (gi) seen.add(gi);
    if (!needs[i] || gi === null || gi === undefined) {
      if (gi) gi.dispose();
      return;
    }
    if (!shapesEqual(gi.shape, input.shape)) {
      throw new GradError(`${node.op}: gradient rule returned shape [${gi.shape}] for input ${i} of shape [${input.shape}]`);
    }
    const previous = grads.get(input);
    if (previous === undefined) grads.set(input, gi);
    else {
      grads.set(input, createGraph ? add(previous, gi) : noGrad(() => add(previous, gi)));
      if (!createGraph) {
        previous.dispose();
        gi.dispose();
      }
    }
  });
}

function seedFor(output: Tensor, seed: Tensor | undefined): Tensor {
  if (seed !== undefined) {
    if (!shapesEqual(seed.shape, output.shape)) {
      throw new GradError(`backward: seed shape [${seed.shape}] differs from output shape [${output.shape}]`);
    }
    return view(seed);
  }
  if (output.size !== 1) {
    throw new GradError(`backward: output of shape [${output.shape}] is not a scalar; pass a seed gradient of that shape`);
  }
  return noGrad(() => onesLike(output));
}

/**
 * Gradients of `output` with respect to each tensor in `inputs` (null where the output does not depend
 * on it). Intermediate gradients are disposed as soon as they are used unless `createGraph` is set.
 */
export function gradients(output: Tensor, inputs: readonly Tensor[], seed?: Tensor, options: GradientOptions = {}): (Tensor | null)[] {
  const createGraph = options.createGraph ?? false;
  const targets = new Set(inputs);
  return propagate(output, seed, targets, createGraph, (grads) => inputs.map((i) => grads.get(i) ?? null));
}

function propagate<R>(
  output: Tensor,
  seed: Tensor | undefined,
  targets: Set<Tensor> | null,
  createGraph: boolean,
  finish: (grads: Map<Tensor, Tensor>) => R,
): R {
  if (!output.requiresGrad) {
    throw new GradError('backward: output does not require a gradient; no input with requiresGrad reached it, or it was computed under noGrad');
  }
  const order = orderFromOutputs([output], targets);
  const grads = new Map<Tensor, Tensor>();
  grads.set(output, seedFor(output, seed));
  const isResult = (t: Tensor) => (targets ? targets.has(t) : t.node === null);
  for (const t of order) {
    const g = grads.get(t);
    if (g === undefined || isResult(t) || t.node === null) continue;
    runVjp(t, g, grads, createGraph);
    grads.delete(t);
    if (!createGraph) g.dispose();
  }
  const result = finish(grads);
  for (const [t, g] of grads) if (!isResult(t)) g.dispose();
  return result;
}

/** Accumulates gradients into the `.grad` of every leaf reached from `output`. */
export function backward(output: Tensor, seed?: Tensor, options: GradientOptions = {}): void {
  const createGraph = options.createGraph ?? false;
  propagate(output, seed, null, createGraph, (grads) => {
    for (const [leaf, g] of grads) {
      if (leaf.node !== null || !leaf.requiresGrad) continue;
      const stored = createGraph ? g : detach(g);
      if (stored !== g) g.dispose();
      if (leaf.grad === null) leaf.grad = keep(stored);
      else {
        const sum = keep(noGrad(() => add(leaf.grad!, stored)));
        leaf.grad.dispose();
        stored.dispose();
        leaf.grad = sum;
      }
      grads.delete(leaf);
    }
  });
}

/** Whether operations run now would be recorded for autograd. */
export { isGradEnabled };
