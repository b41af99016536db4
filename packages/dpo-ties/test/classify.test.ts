// The three-way classifier and the outcome probabilities behind it (nu_RK = 3, nu_D = 1 unless
// stated), and the gradient scale factors Delta = -dL/dd of Chen et al. (arXiv 2409.17431). Expected values come from a
// float64 Python computation of the same probabilities, made separately from this package.
import { exp, memory, scope, sum, tensor } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bradleyTerryLoss,
  classifyMargins,
  davidsonLoss,
  outcomeLogProbs,
  type PairOutcome,
  raoKupperLoss,
  tieBand,
} from '../src/core.js';
import { expectClose, ties } from './helpers.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

// d, RK label, RK (win, loss, tie), D label, D (win, loss, tie). 'win' means y1 > y2.
const TABLE: [number, PairOutcome, number[], PairOutcome, number[]][] = [
  [-2.0, 'loss', [0.043165, 0.711235, 0.245601], 'loss', [0.072329, 0.534447, 0.393224]],
  [-1.2, 'loss', [0.091238, 0.525325, 0.383437], 'tie', [0.125559, 0.416872, 0.457568]],
  [-0.8, 'tie', [0.130266, 0.425897, 0.443838], 'tie', [0.161052, 0.358427, 0.480521]],
  [0, 'tie', [0.25, 0.25, 0.5], 'tie', [0.25, 0.25, 0.5]],
  [0.8, 'tie', [0.425897, 0.130266, 0.443838], 'tie', [0.358427, 0.161052, 0.480521]],
  [0.85, 'win', [0.438165, 0.124705, 0.43713], 'tie', [0.365637, 0.156279, 0.478085]],
  [1.2, 'win', [0.525325, 0.091238, 0.383437], 'tie', [0.416872, 0.125559, 0.457568]],
  [1.4, 'win', [0.574782, 0.075956, 0.349263], 'win', [0.446475, 0.110099, 0.443426]],
  [2.0, 'win', [0.711235, 0.043165, 0.245601], 'win', [0.534447, 0.072329, 0.393224]],
];
const MARGINS = TABLE.map((row) => row[0]);

describe('outcome probabilities', () => {
  for (const [rule, column] of [
    ['rao-kupper', 2],
    ['davidson', 4],
  ] as const) {
    it(`${rule} probabilities match table`, () => {
      scope(() => {
        const probs = exp(outcomeLogProbs(tensor(MARGINS, { dtype: 'f64' }), rule)).dataSync(); // (B, 3)
        TABLE.forEach((row, r) => {
          for (let k = 0; k < 3; k++)
            expectClose(probs[3 * r + k], (row[column] as number[])[k], 1e-6, `d = ${row[0]} outcome ${k}`);
        });
      });
    });

    it(`${rule} probabilities sum to one`, () => {
      scope(() => {
        const wide = [-700, -40, -3, 0.3, 5, 60, 700];
        const probs = exp(outcomeLogProbs(tensor(wide, { dtype: 'f64' }), rule, { nu: 1.7 })).dataSync();
        wide.forEach((d, r) => {
          expectClose(probs[3 * r] + probs[3 * r + 1] + probs[3 * r + 2], 1, 1e-12, `d = ${d}`);
        });
      });
    });
  }

  it('davidson satisfies luce choice axiom', () => {
    // Davidson: p(win)/p(loss) = e^d (3.669297 at d = 1.3); Rao-Kupper does not (6.606470).
    scope(() => {
      const d = tensor([1.3], { dtype: 'f64' });
      const dav = exp(outcomeLogProbs(d, 'davidson')).dataSync();
      const rk = exp(outcomeLogProbs(d, 'rao-kupper')).dataSync();
      expectClose(dav[0] / dav[1], Math.exp(1.3), 1e-12, 'davidson');
      expectClose(rk[0] / rk[1], 6.60647, 1e-6, 'rao-kupper');
    });
  });

  it('davidson tie is geometric mean', () => {
    // p(tie) = 2 nu sqrt(p(win) p(loss)); at d = 0.7, alpha_D = -1 both sides are 0.257302.
    scope(() => {
      const nu = Math.exp(-1);
      const p = exp(outcomeLogProbs(tensor([0.7], { dtype: 'f64' }), 'davidson', { nu })).dataSync();
      expectClose(p[2], 0.257302, 1e-6, 'p(tie)');
      expectClose(2 * nu * Math.sqrt(p[0] * p[1]), 0.257302, 1e-6, 'geometric mean');
    });
  });
});

describe('three-way labels', () => {
  for (const [rule, column] of [
    ['rao-kupper', 1],
    ['davidson', 3],
  ] as const) {
    it(`${rule} argmax labels match table`, async () => {
      const margin = tensor(MARGINS, { dtype: 'f64' });
      const labels = await classifyMargins(margin, rule);
      margin.dispose();
      expect(labels).toEqual(TABLE.map((row) => row[column]));
    });
  }

  it('tie band matches closed forms', () => {
    expectClose(tieBand('rao-kupper'), Math.log(7 / 3), 1e-15, 'RK nu 3');
    expectClose(tieBand('davidson'), 2 * Math.LN2, 1e-15, 'D nu 1');
    expect(tieBand('rao-kupper', { nu: 2 })).toBe(0);
    expect(tieBand('davidson', { nu: 0.5 })).toBe(0);
  });

  it('labels flip at the tie band', async () => {
    // Just inside and just outside the band for a non-default nu, under both rules.
    for (const [rule, nu] of [
      ['rao-kupper', 4.5],
      ['davidson', 2.2],
    ] as const) {
      const band = tieBand(rule, { nu });
      const margin = tensor([-band - 1e-9, -band + 1e-9, band - 1e-9, band + 1e-9], { dtype: 'f64' });
      const labels = await classifyMargins(margin, rule, { nu });
      margin.dispose();
      expect(labels, rule).toEqual(['loss', 'tie', 'tie', 'win']);
    }
  });
});

describe('gradient scale factors', () => {
  // Delta = -dL/dd at nu_RK = 3, nu_D = 1 for d in {-4, -2, -1, 0, 1, 2, 4}. Davidson's factors have
  // closed forms at nu = 1: win sigma(-d/2), tie -tanh(d/4)/2.
  const D = [-4, -2, -1, 0, 1, 2, 4];
  const EXPECTED: Record<string, number[]> = {
    'dpo win': [0.982014, 0.880797, 0.731059, 0.5, 0.268941, 0.119203, 0.017986],
    'rk win': [0.993932, 0.956835, 0.890768, 0.75, 0.524633, 0.288765, 0.052085],
    'd win': [0.880797, 0.731059, 0.622459, 0.5, 0.377541, 0.268941, 0.119203],
    'rk tie': [0.941847, 0.66807, 0.366135, 0, -0.366135, -0.66807, -0.941847],
    'd tie': [0.380797, 0.231059, 0.122459, 0, -0.122459, -0.231059, -0.380797],
  };
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} factor matches table`, () => {
      scope(() => {
        const d = tensor(D, { dtype: 'f64' }).setRequiresGrad();
        const tie = ties(D.map(() => name.endsWith('tie')));
        const losses =
          name === 'dpo win'
            ? bradleyTerryLoss(d)
            : name.startsWith('rk')
              ? raoKupperLoss(d, { tie })
              : davidsonLoss(d, { tie });
        sum(losses).backward();
        const delta = Array.from(d.grad!.dataSync(), (g) => -g);
        delta.forEach((v, i) => {
          expectClose(v, expected[i], 1e-6, `d = ${D[i]}`);
        });
      });
    });
  }

  it('davidson factors closed forms', () => {
    scope(() => {
      const points = [-3, 0.7, 2.5];
      const d = tensor(points, { dtype: 'f64' }).setRequiresGrad();
      sum(davidsonLoss(d, { tie: ties([false, false, false]) })).backward();
      const win = Array.from(d.grad!.dataSync(), (g) => -g);
      points.forEach((x, i) => {
        expectClose(win[i], 1 / (1 + Math.exp(x / 2)), 1e-12, `win d = ${x}`);
      });
      d.grad!.dispose();
      d.grad = null;
      sum(davidsonLoss(d, { tie: ties([true, true, true]) })).backward();
      const tied = Array.from(d.grad!.dataSync(), (g) => -g);
      points.forEach((x, i) => {
        expectClose(tied[i], -Math.tanh(x / 4) / 2, 1e-12, `tie d = ${x}`);
      });
    });
  });
});
