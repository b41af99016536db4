import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import {
  ArgumentError,
  DisposedError,
  GradError,
  scope,
  ShapeError,
  type Tensor,
  tensor,
} from '../src/index.js';
import { checkNoLeaks, expectAllClose, expectMemoryUnchanged, randomTensor, valuesOf } from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });

describe('backward', () => {
  it('accumulates into grad across two calls', () => {
    scope(() => {
      const x = f64([1, 2, 3]).setRequiresGrad();
      T.sum(T.mul(x, x)).backward(); // 2x
      T.sum(T.mul(x, 3)).backward(); // + 3
      expectAllClose(x.grad!, [5, 7, 9], { atol: 0 });
      const loss = T.sum(x);
      loss.backward();
      loss.backward(); // the same graph twice adds twice
      expectAllClose(x.grad!, [7, 9, 11], { atol: 0 });
    });
  });

  it('flows through views', () => {
    scope(() => {
      const x = f64([
        [1, 2, 3],
        [4, 5, 6],
      ]).setRequiresGrad();
      const view = T.reshape(T.slice(T.transpose(x), [1, 0], [3, 2]), [4]); // x[0][1], x[1][1], x[0][2], x[1][2]
      T.sum(T.mul(view, f64([1, 2, 3, 4]))).backward();
      expectAllClose(x.grad!, [0, 1, 3, 0, 2, 4], { atol: 0 });
    });
  });

  it('adds the paths of a tensor used twice', () => {
    scope(() => {
      const x = f64([-1, 0.5, 2]).setRequiresGrad();
      const y = T.add(T.mul(x, x), x); // dy/dx = 2x + 1
      T.sum(y).backward();
      expectAllClose(x.grad!, [-1, 2, 5], { atol: 0 });
      const twice = f64([1, 1]).setRequiresGrad();
      T.sum(T.add(twice, twice)).backward(); // add passes one gradient to both of its inputs
      expectAllClose(twice.grad!, [2, 2], { atol: 0 });
      const z = f64([3]).setRequiresGrad();
      T.sum(T.mul(T.exp(z), T.exp(z))).backward(); // d/dz e^(2z) = 2 e^(2z)
      expectAllClose(z.grad!, [2 * Math.exp(6)], { rtol: 1e-15 });
    });
  });

  it('noGrad records nothing', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      const y = T.noGrad(() => T.mul(x, 2));
      expect(y.requiresGrad).toBe(false);
      expect(T.noGrad(() => T.isGradEnabled())).toBe(false);
      expect(T.isGradEnabled()).toBe(true);
      expect(() => T.sum(y).backward()).toThrow(GradError);
    });
  });

  it('detach stops the gradient', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      T.sum(T.mul(x.detach(), x)).backward(); // only the second factor carries a gradient
      expectAllClose(x.grad!, [1, 2], { atol: 0 });
    });
  });

  it('a scalar leaf gets gradient one', () => {
    scope(() => {
      const x = f64(3).setRequiresGrad();
      x.backward();
      expect(valuesOf(x.grad!)).toEqual([1]);
    });
  });

  it('leaves without requiresGrad get no grad', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      const c = f64([3, 4]);
      T.sum(T.mul(x, c)).backward();
      expect(c.grad).toBeNull();
      expectAllClose(x.grad!, [3, 4], { atol: 0 });
    });
  });

  it('seed weights a non-scalar output', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      T.mul(x, x).backward(f64([10, 100]));
      expectAllClose(x.grad!, [20, 400], { atol: 0 });
      expect(() => T.mul(x, x).backward(f64([1, 2, 3]))).toThrow(GradError);
    });
  });

  it('non-scalar output without a seed raises GradError', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      expect(() => T.mul(x, 2).backward()).toThrow(GradError);
      expect(() => T.mul(x, 2).backward()).toThrow(/not a scalar.*seed/);
    });
  });

  it('disposed intermediate raises DisposedError', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      const hidden = T.exp(x);
      const loss = T.sum(T.mul(hidden, 2));
      hidden.dispose();
      expect(() => loss.backward()).toThrow(DisposedError);
      expect(() => T.gradients(loss, [x])).toThrow(DisposedError);
      expect(x.grad).toBeNull();
    });
  });

  it('disposed leaf input raises DisposedError', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      const loss = T.sum(T.exp(x));
      x.dispose();
      expect(() => loss.backward()).toThrow(DisposedError);
    });
  });

  it('backward leaves only the gradients behind', () => {
    scope(() => {
      const x = randomTensor([3, 4], 181).setRequiresGrad();
      const w = randomTensor([4, 2], 182).setRequiresGrad();
      const loss = T.sum(T.softmax(T.matmul(T.tanh(x), w)));
      const before = T.memory().tensors;
      loss.backward();
      // one .grad per leaf, because every intermediate gradient is freed
      expect(T.memory().tensors).toBe(before + 2);
    });
  });
});

describe('gradients, grad and valueAndGrad', () => {
  it('gradients returns null for unreached inputs', () => {
    scope(() => {
      const x = f64([1, 2]).setRequiresGrad();
      const unused = f64([5]).setRequiresGrad();
      const [gx, gu] = T.gradients(T.sum(T.mul(x, x)), [x, unused]);
      expectAllClose(gx!, [2, 4], { atol: 0 });
      expect(gu).toBeNull();
      expect(x.grad).toBeNull();
    });
  });

  it('createGraph gives differentiable gradients', () => {
    scope(() => {
      const x = f64([0.5, -2]).setRequiresGrad();
      const [first] = T.gradients(T.sum(T.pow(x, 3)), [x], undefined, { createGraph: true }); // 3x^2
      expectAllClose(first!, [0.75, 12], { atol: 1e-15 });
      const [second] = T.gradients(T.sum(first!), [x]); // 6x
      expectAllClose(second!, [3, -12], { atol: 1e-14 });
    });
  });

  it('backward with createGraph leaves a differentiable grad', () => {
    scope(() => {
      const x = f64([1.5]).setRequiresGrad();
      T.backward(T.sum(T.sin(x)), undefined, { createGraph: true }); // cos x
      const first = x.grad!;
      expectAllClose(first, [Math.cos(1.5)], { atol: 1e-15 });
      const [second] = T.gradients(T.sum(first), [x]); // -sin x
      expectAllClose(second!, [-Math.sin(1.5)], { atol: 1e-15 });
    });
  });

  it('valueAndGrad returns value and every gradient', () => {
    scope(() => {
      const f = (a: Tensor, b: Tensor, _unused: Tensor) => T.sum(T.mul(a, T.exp(b)));
      const { value, grads } = T.valueAndGrad(f)(f64([2, 3]), f64([0, 1]), f64([9]));
      expectAllClose(value, [2 + 3 * Math.E], { atol: 1e-15 });
      expectAllClose(grads[0], [1, Math.E], { atol: 1e-15 });
      expectAllClose(grads[1], [2, 3 * Math.E], { atol: 1e-15 });
      expectAllClose(grads[2], [0], { atol: 0 });
    });
  });

  it('grad of grad gives the second derivative', () => {
    scope(() => {
      const f = (x: Tensor) => T.sum(T.mul(T.mul(x, x), x)); // x^3
      const second = T.grad((x: Tensor) => T.sum(T.grad(f)(x)[0]))(f64([1, 2]));
      expectAllClose(second[0], [6, 12], { atol: 1e-14 });
      const third = T.grad((x: Tensor) => T.sum(T.grad((y: Tensor) => T.sum(T.grad(f)(y)[0]))(x)[0]))(
        f64([1, 2]),
      );
      expectAllClose(third[0], [6, 6], { atol: 1e-13 });
    });
  });

  it('valueAndGrad rejects non-scalar outputs and noGrad', () => {
    scope(() => {
      expect(() => T.valueAndGrad((x: Tensor) => T.mul(x, 2))(f64([1, 2]))).toThrow(GradError);
      expect(() => T.noGrad(() => T.grad((x: Tensor) => T.sum(x))(f64([1])))).toThrow(GradError);
    });
  });

  it('grad leaves no tensor behind', () => {
    const x = f64([0.3, 0.7]);
    expectMemoryUnchanged(() => {
      const [g] = T.grad((t: Tensor) => T.sum(T.tanh(T.mul(t, t))))(x);
      g.dispose();
    });
    x.dispose();
  });

  it('does not mutate its arguments', () => {
    scope(() => {
      const x = f64([1]);
      T.grad((t: Tensor) => T.sum(T.mul(t, t)))(x);
      expect(x.requiresGrad).toBe(false);
      expect(x.grad).toBeNull();
    });
  });
});

describe('typed errors', () => {
  it('add of [2, 3] and [4] names the op and shapes', () => {
    scope(() => {
      const run = () => T.add(T.zeros([2, 3]), T.zeros([4]));
      expect(run).toThrow(ShapeError);
      try {
        run();
      } catch (error) {
        const e = error as ShapeError;
        expect(e.op).toBe('add');
        expect(e.shapes).toEqual([[2, 3], [4]]);
        expect(e.message).toContain('[2, 3]');
        expect(e.message).toContain('[4]');
      }
    });
  });

  it('matmul inner mismatch names both shapes', () => {
    scope(() => {
      try {
        T.matmul(T.zeros([2, 3]), T.zeros([5, 4]));
        expect.unreachable('matmul accepted inner dimensions 3 and 5');
      } catch (error) {
        expect(error).toBeInstanceOf(ShapeError);
        const e = error as ShapeError;
        expect(e.op).toBe('matmul');
        expect(e.shapes).toEqual([
          [2, 3],
          [5, 4],
        ]);
        expect(e.message).toMatch(/3.*5/);
      }
    });
  });

  it('shape mismatches in other ops', () => {
    scope(() => {
      expect(() => T.concat([T.zeros([2, 3]), T.zeros([2, 4])], 0)).toThrow(ShapeError);
      expect(() => T.where(tensor([true, false, true]), T.zeros([2]), 0)).toThrow(ShapeError);
      expect(() => T.reshape(T.zeros([6]), [4])).toThrow(/reshape/);
      expect(() => T.broadcastTo(T.zeros([2]), [3])).toThrow(ShapeError);
    });
  });

  it('bad axes raise ArgumentError naming the op', () => {
    scope(() => {
      expect(() => T.sum(T.zeros([2, 3]), 2)).toThrow(ArgumentError);
      expect(() => T.sum(T.zeros([2, 3]), 2)).toThrow(/^sum: axis 2/);
      expect(() => T.softmax(T.zeros([2, 3]), -3)).toThrow(ArgumentError);
      expect(() => T.sum(T.zeros([2, 3]), [1, -1])).toThrow(/repeats/);
    });
  });

  it('using a disposed tensor raises DisposedError', () => {
    const x = f64([1]);
    x.dispose();
    expect(() => T.exp(x)).toThrow(DisposedError);
    expect(() => T.exp(x)).toThrow(/exp: input 0/);
    expect(() => x.dataSync()).toThrow(DisposedError);
  });
});

describe('gradient values', () => {
  it('shared subexpression in a small network', () => {
    scope(() => {
      // loss = sum(tanh(x w)) with x = [[1, 2]] and w = [[0.1], [0.2]]: z = 0.5,
      // dloss/dw = x^T (1 - tanh(z)^2) and dloss/dx = (1 - tanh(z)^2) w^T
      const x = f64([[1, 2]]).setRequiresGrad();
      const w = f64([[0.1], [0.2]]).setRequiresGrad();
      T.sum(T.tanh(T.matmul(x, w))).backward();
      const slope = 1 - Math.tanh(0.5) ** 2;
      expectAllClose(w.grad!, [slope, 2 * slope], { atol: 1e-15 });
      expectAllClose(x.grad!, [0.1 * slope, 0.2 * slope], { atol: 1e-15 });
      expect(valuesOf(w.grad!).length).toBe(2);
    });
  });
});
