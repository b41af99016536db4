// Golden values from PyTorch (float64): per-pair losses, batch means and gradients of the mean for
// seeded random batches. Regenerate with `/usr/bin/python3 scripts/make_golden.py`.
import { readFileSync } from 'node:fs';
import { memory, scope, tensor } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CompletionLengths,
  dpoDavidsonLoss,
  dpoLoss,
  dpoRaoKupperLoss,
  ipoLoss,
  type PreferenceLogProbs,
  type Reduction,
} from '../src/core.js';
import { backwardOf, expectClose, INPUT_NAMES, leaves, type PairRows } from './helpers.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

interface GoldenCase {
  loss: 'dpo' | 'dpo-rk' | 'dpo-d' | 'ipo';
  params: { nu?: number; alpha?: number };
  beta: number;
  lengthNormalized: boolean;
  inputs: PairRows & { chosenLengths: number[]; rejectedLengths: number[]; tie: boolean[] };
  perPair: number[];
  mean: number;
  grads: Record<(typeof INPUT_NAMES)[number], number[]>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8')) as {
  cases: GoldenCase[];
};

function lossOf(c: GoldenCase, logProbs: PreferenceLogProbs, reduction: Reduction) {
  const lengths: CompletionLengths = {
    chosen: tensor(c.inputs.chosenLengths, { dtype: 'f64' }),
    rejected: tensor(c.inputs.rejectedLengths, { dtype: 'f64' }),
  };
  const base = { beta: c.beta, reduction, ...(c.lengthNormalized ? { lengths } : {}) };
  const tie = tensor(c.inputs.tie, { dtype: 'bool' });
  if (c.loss === 'dpo') return dpoLoss(logProbs, base);
  if (c.loss === 'ipo') return ipoLoss(logProbs, { ...base, lengths });
  if (c.loss === 'dpo-rk') return dpoRaoKupperLoss(logProbs, { ...base, tie, nu: c.params.nu });
  return dpoDavidsonLoss(logProbs, { ...base, tie, ...c.params });
}

describe('pytorch golden values', () => {
  it('fixture has every loss', () => {
    expect(new Set(golden.cases.map((c) => c.loss))).toEqual(new Set(['dpo', 'dpo-rk', 'dpo-d', 'ipo']));
  });

  golden.cases.forEach((c, index) => {
    const name = `${c.loss} case ${index} beta ${c.beta}${c.lengthNormalized ? ' averaged' : ''}`;

    it(`${name} per pair losses`, () => {
      scope(() => {
        const values = Array.from(lossOf(c, leaves(c.inputs), 'none').dataSync());
        values.forEach((v, i) => {
          expectClose(v, c.perPair[i], 1e-9 * Math.max(1, Math.abs(c.perPair[i])), `pair ${i}`);
        });
      });
    });

    it(`${name} mean and gradients`, () => {
      scope(() => {
        const inputs = leaves(c.inputs);
        const { value, grads } = backwardOf(lossOf(c, inputs, 'mean'), inputs);
        expectClose(value, c.mean, 1e-9 * Math.max(1, Math.abs(c.mean)), 'mean');
        for (const input of INPUT_NAMES) {
          grads[input].forEach((g, i) => {
            expectClose(g, c.grads[input][i], 1e-9, `${input}[${i}]`);
          });
        }
      });
    });
  });
});
