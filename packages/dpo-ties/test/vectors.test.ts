// The published test vectors for DPO, DPO-RK and DPO-D (beta = 0.1, nu_RK = 3, nu_D = 1 unless
// stated): loss values, dL/dd, and gradients to the policy log-probs through backward on f64 leaves.
// The expected numbers were computed in float64 Python, separately from this package, and agree with
// finite differences to 1e-10.
import { memory, scope, sum, tensor } from '@lab/tensor';
import { gradcheck } from '@lab/tensor/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  davidsonLoss,
  dpoDavidsonLoss,
  dpoLoss,
  dpoRaoKupperLoss,
  type PreferenceLogProbs,
  raoKupperLoss,
  bradleyTerryLoss,
} from '../src/core.js';
import { backwardOf, expectClose, leaves, onePair, ties } from './helpers.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

const BETA = 0.1;
const TOL = 1e-6;
const CASE_A = onePair(-10.0, -12.0, -11.0, -11.5); // d = 0.15, clear
const CASE_B = onePair(-20.0, -19.0, -20.5, -19.2); // d = 0.03, tie

type Loss = 'dpo' | 'dpo-rk' | 'dpo-d';
interface Row {
  pair: 'A' | 'B';
  loss: Loss;
  value: number;
  dLdd: number;
}

const TABLE: Row[] = [
  { pair: 'A', loss: 'dpo', value: 0.620957, dLdd: -0.46257 },
  { pair: 'A', loss: 'dpo-rk', value: 1.275956, dLdd: -0.720836 },
  { pair: 'A', loss: 'dpo-d', value: 1.3127, dLdd: -0.481259 },
  { pair: 'B', loss: 'dpo', value: 0.67826, dLdd: -0.492501 },
  { pair: 'B', loss: 'dpo-rk', value: 0.693316, dLdd: 0.01125 },
  { pair: 'B', loss: 'dpo-d', value: 0.693203, dLdd: 0.00375 },
];

function lossOf(kind: Loss, logProbs: PreferenceLogProbs, tie: boolean[], beta = BETA) {
  if (kind === 'dpo') return dpoLoss(logProbs, { beta });
  if (kind === 'dpo-rk') return dpoRaoKupperLoss(logProbs, { beta, tie: ties(tie) });
  return dpoDavidsonLoss(logProbs, { beta, tie: ties(tie) });
}

describe('test vectors per pair', () => {
  for (const row of TABLE) {
    it(`${row.loss} pair ${row.pair} value and gradients`, () => {
      scope(() => {
        const inputs = leaves(row.pair === 'A' ? CASE_A : CASE_B);
        const { value, grads } = backwardOf(lossOf(row.loss, inputs, [row.pair === 'B']), inputs);
        expectClose(value, row.value, TOL, 'loss');
        // Published per-log-prob gradients are beta * dL/dd, rounded to 6 places.
        expectClose(grads.policyChosen[0], BETA * row.dLdd, TOL, 'dL/dlogpi(y_w)');
        expectClose(grads.policyRejected[0], -BETA * row.dLdd, TOL, 'dL/dlogpi(y_l)');
        expectClose(grads.referenceChosen[0], -BETA * row.dLdd, TOL, 'dL/dlogpi_ref(y_w)');
        expectClose(grads.referenceRejected[0], BETA * row.dLdd, TOL, 'dL/dlogpi_ref(y_l)');
      });
    });

    it(`${row.loss} pair ${row.pair} margin gradient`, () => {
      scope(() => {
        const d = tensor([row.pair === 'A' ? 0.15 : 0.03], { dtype: 'f64' }).setRequiresGrad();
        const tie = ties([row.pair === 'B']);
        let perPair = bradleyTerryLoss(d);
        if (row.loss === 'dpo-rk') perPair = raoKupperLoss(d, { tie });
        if (row.loss === 'dpo-d') perPair = davidsonLoss(d, { tie });
        sum(perPair).backward();
        expectClose(perPair.dataSync()[0], row.value, TOL, 'loss');
        expectClose(d.grad!.dataSync()[0], row.dLdd, TOL, 'dL/dd');
      });
    });
  }
});

describe('test vectors batch mean', () => {
  const both = {
    policyChosen: [-10.0, -20.0],
    policyRejected: [-12.0, -19.0],
    referenceChosen: [-11.0, -20.5],
    referenceRejected: [-11.5, -19.2],
  };
  const expected: Record<Loss, number> = { dpo: 0.649608, 'dpo-rk': 0.984636, 'dpo-d': 1.002952 };
  for (const kind of ['dpo', 'dpo-rk', 'dpo-d'] as const) {
    it(`${kind} joint mean over A and B`, () => {
      scope(() => {
        const inputs = leaves(both);
        const { value, grads } = backwardOf(lossOf(kind, inputs, [false, true]), inputs);
        expectClose(value, expected[kind], TOL, 'mean loss');
        // The mean halves each pair's own gradient.
        const a = TABLE.find((r) => r.pair === 'A' && r.loss === kind)!;
        const b = TABLE.find((r) => r.pair === 'B' && r.loss === kind)!;
        expectClose(grads.policyChosen[0], (BETA * a.dLdd) / 2, TOL, 'pair A grad');
        expectClose(grads.policyChosen[1], (BETA * b.dLdd) / 2, TOL, 'pair B grad');
      });
    });
  }
});

describe('alpha sensitivity vectors', () => {
  // (case, model, alpha, L, dL/dd); RK uses nu = e^alpha, Davidson alpha_D directly.
  const rows: [string, 'rk' | 'd', number, number, number][] = [
    ['A', 'rk', 0.5, 0.883382, -0.586618],
    ['A', 'rk', 2.0, 1.996035, -0.864127],
    ['A', 'd', -1, 0.933464, -0.472616],
    ['A', 'd', 1, 1.932165, -0.489913],
    ['B', 'rk', 0.5, 1.407041, 0.014099],
    ['B', 'rk', 2.0, 0.272436, 0.0063],
    ['B', 'd', -1, 1.313344, 0.005483],
    ['B', 'd', 1, 0.313292, 0.002017],
  ];
  for (const [pair, model, alpha, value, dLdd] of rows) {
    it(`${model} alpha ${alpha} pair ${pair}`, () => {
      scope(() => {
        const d = tensor([pair === 'A' ? 0.15 : 0.03], { dtype: 'f64' }).setRequiresGrad();
        const tie = ties([pair === 'B']);
        const loss =
          model === 'rk' ? raoKupperLoss(d, { nu: Math.exp(alpha), tie }) : davidsonLoss(d, { alpha, tie });
        loss.backward();
        expectClose(loss.dataSync()[0], value, TOL, 'loss');
        expectClose(d.grad!.dataSync()[0], dLdd, TOL, 'dL/dd');
      });
    });
  }
});

describe('end to end from token log-probs', () => {
  // beta = 0.5; sequence log-prob = sum of token log-probs. d = 0.5 * ((-2.2 + 2.15) - (-2.4 + 2.3)) = 0.025.
  const rows: [Loss, boolean, number, number][] = [
    ['dpo-rk', false, 1.367603, -0.745283],
    ['dpo-d', false, 1.373833, -0.496875],
    ['dpo-rk', true, 0.693264, 0.009375],
    ['dpo-d', true, 0.693186, 0.003125],
  ];
  for (const [kind, tie, value, dLdd] of rows) {
    it(`${kind} ${tie ? 'tie' : 'clear'} token gradients`, () => {
      scope(() => {
        const chosenTokens = tensor([[-1.2, -0.7, -0.3]], { dtype: 'f64' }).setRequiresGrad(); // (1, 3)
        const rejectedTokens = tensor([[-0.9, -1.5]], { dtype: 'f64' }).setRequiresGrad(); // (1, 2)
        const logProbs = {
          policyChosen: sum(chosenTokens, 1),
          policyRejected: sum(rejectedTokens, 1),
          referenceChosen: sum(tensor([[-1.0, -0.8, -0.35]], { dtype: 'f64' }), 1),
          referenceRejected: sum(tensor([[-1.1, -1.2]], { dtype: 'f64' }), 1),
        };
        const loss = lossOf(kind, logProbs, [tie], 0.5);
        loss.backward();
        expectClose(loss.dataSync()[0], value, TOL, 'loss');
        for (const g of chosenTokens.grad!.dataSync()) expectClose(g, 0.5 * dLdd, TOL, 'y_w token');
        for (const g of rejectedTokens.grad!.dataSync()) expectClose(g, -0.5 * dLdd, TOL, 'y_l token');
      });
    });
  }

  it('joint mean of clear and tie rows', () => {
    scope(() => {
      const rows = {
        policyChosen: [-2.2, -2.2],
        policyRejected: [-2.4, -2.4],
        referenceChosen: [-2.15, -2.15],
        referenceRejected: [-2.3, -2.3],
      };
      const rk = dpoRaoKupperLoss(leaves(rows), { beta: 0.5, tie: ties([false, true]) });
      const d = dpoDavidsonLoss(leaves(rows), { beta: 0.5, tie: ties([false, true]) });
      expectClose(rk.dataSync()[0], 1.030434, TOL, 'RK mean');
      expectClose(d.dataSync()[0], 1.03351, TOL, 'D mean');
    });
  });
});

describe('gradcheck on random batches', () => {
  const flags = [true, false, false, true, true, false];
  const random = (seed: number) =>
    Array.from({ length: 6 }, (_, i) => -5 - 40 * Math.abs(Math.sin(seed * 7.3 + i * 1.7)));
  const inputs = () => [1, 2, 3, 4].map((s) => tensor(random(s), { dtype: 'f64' }));
  const asLogProbs = (xs: ReturnType<typeof inputs>): PreferenceLogProbs => ({
    policyChosen: xs[0],
    policyRejected: xs[1],
    referenceChosen: xs[2],
    referenceRejected: xs[3],
  });
  const cases: [string, (p: PreferenceLogProbs) => ReturnType<typeof dpoLoss>][] = [
    ['dpo', (p) => dpoLoss(p, { beta: 0.2 })],
    ['dpo-rk', (p) => dpoRaoKupperLoss(p, { beta: 0.2, tie: ties(flags) })],
    ['dpo-rk nu 1.2', (p) => dpoRaoKupperLoss(p, { beta: 0.2, nu: 1.2, tie: ties(flags) })],
    ['dpo-d', (p) => dpoDavidsonLoss(p, { beta: 0.2, tie: ties(flags) })],
    ['dpo-d alpha -2', (p) => dpoDavidsonLoss(p, { beta: 0.2, alpha: -2, tie: ties(flags) })],
    ['per pair dpo-rk', (p) => dpoRaoKupperLoss(p, { beta: 0.2, tie: ties(flags), reduction: 'none' })],
  ];
  for (const [name, fn] of cases) {
    it(`${name} matches finite differences`, () => {
      scope(() => {
        const result = gradcheck((...xs) => fn(asLogProbs(xs)), inputs(), {
          eps: 1e-6,
          atol: 1e-7,
          rtol: 1e-6,
        });
        expect(result.mismatches).toEqual([]);
        expect(result.maxAbsError).toBeLessThan(1e-7);
      });
    });
  }
});
