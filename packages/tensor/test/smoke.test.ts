import { describe, expect, it } from 'vitest';
import { memory, scope, tensor } from '../src/index.js';

describe('smoke', () => {
  it('matmul and logSoftmax gradient', async () => {
    scope(() => {
      const a = tensor([[1, 2], [3, 4]]);
      const b = tensor([[5], [6]]);
      expect(Array.from(a.matmul(b).dataSync())).toEqual([17, 39]);
      const x = tensor([1, 2, 3]).setRequiresGrad();
      x.logSoftmax().mul(tensor([1, 0, 0])).sum().backward();
      const g = Array.from(x.grad!.dataSync());
      const e = [1, 2, 3].map(Math.exp);
      const z = e[0] + e[1] + e[2];
      expect(g[0]).toBeCloseTo(1 - e[0] / z, 6);
      expect(g[1]).toBeCloseTo(-e[1] / z, 6);
      x.dispose();
    });
    expect(memory().tensors).toBe(0);
  });
});
