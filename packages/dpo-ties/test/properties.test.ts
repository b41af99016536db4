// Special cases and invariants of the tie losses, the reference dependence and IPO's length
// averaging, and parameter validation.
import { memory, scope, tensor } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  davidsonLoss,
  dpoDavidsonLoss,
  dpoLoss,
  dpoRaoKupperLoss,
  ipoLoss,
  PreferenceInputError,
  preferenceLoss,
  raoKupperLoss,
  rewardMargin,
  TieParameterError,
  bradleyTerryLoss,
} from '../src/core.js';
import { expectClose, leaves, onePair, refDavidson, refDpo, refRaoKupper, ties } from './helpers.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

const MARGINS = [-30, -4.5, -1, -0.2, 0, 0.15, 1.3, 6, 25];
const margins = () => tensor(MARGINS, { dtype: 'f64' });
const read = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('reductions to DPO', () => {
  it('rao-kupper nu 1 equals dpo on clear pairs', () => {
    scope(() => {
      const rk = read(raoKupperLoss(margins(), { nu: 1 }));
      const bt = read(bradleyTerryLoss(margins()));
      rk.forEach((v, i) => {
        expectClose(v, bt[i], 1e-12, `d = ${MARGINS[i]}`);
      });
    });
  });

  it('davidson nu 0 equals dpo on clear pairs', () => {
    scope(() => {
      const dav = read(davidsonLoss(margins(), { nu: 0 }));
      MARGINS.forEach((d, i) => {
        expectClose(dav[i], refDpo(d), 1e-12, `d = ${d}`);
      });
    });
  });

  it('rao-kupper default shifts clear pairs by ln 3', () => {
    // DPO-RK on a clear pair is DPO at d - ln 3, so it is not DPO even without ties.
    scope(() => {
      const rk = read(raoKupperLoss(margins()));
      MARGINS.forEach((d, i) => {
        expectClose(rk[i], refDpo(d - Math.log(3)), 1e-12, `d = ${d}`);
      });
    });
  });
});

describe('tie losses symmetric under swap', () => {
  for (const [name, fn] of [
    [
      'rao-kupper',
      (d: number[], tie: boolean[]) => raoKupperLoss(tensor(d, { dtype: 'f64' }), { tie: ties(tie) }),
    ],
    [
      'davidson',
      (d: number[], tie: boolean[]) => davidsonLoss(tensor(d, { dtype: 'f64' }), { tie: ties(tie) }),
    ],
  ] as const) {
    it(`${name} tie loss at d equals at -d`, () => {
      scope(() => {
        const all = MARGINS.map(() => true);
        const forward = read(fn(MARGINS, all));
        const swapped = read(
          fn(
            MARGINS.map((d) => -d),
            all,
          ),
        );
        forward.forEach((v, i) => {
          expectClose(v, swapped[i], 1e-12, `d = ${MARGINS[i]}`);
        });
      });
    });

    it(`${name} swapping completions keeps tie loss`, () => {
      scope(() => {
        const rows = {
          policyChosen: [-12, -3],
          policyRejected: [-9, -7.5],
          referenceChosen: [-11, -4],
          referenceRejected: [-10, -6],
        };
        const swapped = {
          policyChosen: rows.policyRejected,
          policyRejected: rows.policyChosen,
          referenceChosen: rows.referenceRejected,
          referenceRejected: rows.referenceChosen,
        };
        const loss = name === 'rao-kupper' ? dpoRaoKupperLoss : dpoDavidsonLoss;
        const a = loss(leaves(rows), { beta: 0.3, tie: ties([true, true]), reduction: 'none' });
        const b = loss(leaves(swapped), { beta: 0.3, tie: ties([true, true]), reduction: 'none' });
        read(a).forEach((v, i) => {
          expectClose(v, read(b)[i], 1e-12, `row ${i}`);
        });
      });
    });
  }
});

describe('float64 reference formulas', () => {
  it('rao-kupper matches probabilities directly', () => {
    scope(() => {
      for (const tie of [false, true]) {
        const values = read(raoKupperLoss(margins(), { nu: 2.5, tie: ties(MARGINS.map(() => tie)) }));
        MARGINS.forEach((d, i) => {
          expectClose(values[i], refRaoKupper(d, tie, 2.5), 1e-9, `d = ${d} tie ${tie}`);
        });
      }
    });
  });

  it('davidson matches probabilities directly', () => {
    scope(() => {
      for (const tie of [false, true]) {
        const values = read(davidsonLoss(margins(), { nu: 0.6, tie: ties(MARGINS.map(() => tie)) }));
        MARGINS.forEach((d, i) => {
          expectClose(values[i], refDavidson(d, tie, 0.6), 1e-9, `d = ${d} tie ${tie}`);
        });
      }
    });
  });
});

describe('step zero with policy equal to reference', () => {
  // Policy = reference gives d = 0 exactly, so every loss is a constant:
  //   DPO clear:  -log sigma(0) = ln 2.
  //   RK clear:   p(win) = sigma(-ln 3) = 1/(1 + 3) = 1/4, loss ln 4.
  //   RK tie:     p(tie) = (3^2 - 1) * (1/4) * (1/4) = 1/2, loss ln 2.
  //   D clear:    p(win) = e^0 / (e^0 + e^0 + 2*1) = 1/4, loss ln 4.
  //   D tie:      p(tie) = 2 / (1 + 1 + 2) = 1/2, loss ln 2.
  const same = {
    policyChosen: [-7.25, -31.5],
    policyRejected: [-9.5, -30.125],
    referenceChosen: [-7.25, -31.5],
    referenceRejected: [-9.5, -30.125],
  };

  it('dpo loss is ln 2 and margin exactly zero', () => {
    scope(() => {
      const margin = read(rewardMargin(leaves(same), { beta: 0.1 }));
      expect(margin).toEqual([0, 0]);
      expectClose(dpoLoss(leaves(same), { beta: 0.1 }).dataSync()[0], Math.LN2, 1e-15, 'dpo');
    });
  });

  it('rao-kupper clear ln 4 and tie ln 2', () => {
    scope(() => {
      const values = read(
        dpoRaoKupperLoss(leaves(same), { beta: 0.1, tie: ties([false, true]), reduction: 'none' }),
      );
      expectClose(values[0], Math.log(4), 1e-14, 'clear');
      expectClose(values[1], Math.LN2, 1e-14, 'tie');
    });
  });

  it('davidson clear ln 4 and tie ln 2', () => {
    scope(() => {
      const values = read(
        dpoDavidsonLoss(leaves(same), { beta: 0.1, tie: ties([false, true]), reduction: 'none' }),
      );
      expectClose(values[0], Math.log(4), 1e-14, 'clear');
      expectClose(values[1], Math.LN2, 1e-14, 'tie');
    });
  });
});

describe('reference log-probs matter', () => {
  // h = (-10 + 14) - (-8 + 16) = -4, d = -0.4: -log sigma(-0.4) = 0.913015. Dropping the reference
  // (a reference-free loss) would give -log sigma(0.4) = 0.513015.
  it('dpo uses reference log-probs', () => {
    scope(() => {
      const loss = dpoLoss(leaves(onePair(-10, -14, -8, -16)), { beta: 0.1 }).dataSync()[0];
      expectClose(loss, 0.913015, 1e-6, 'with reference');
      expect(Math.abs(loss - 0.513015)).toBeGreaterThan(0.1);
    });
  });

  it('changing only reference changes loss', () => {
    scope(() => {
      for (const kind of ['dpo', 'dpo-rk', 'dpo-d'] as const) {
        const a = preferenceLoss(kind, leaves(onePair(-10, -14, -8, -16)), { beta: 0.1 }).dataSync()[0];
        const b = preferenceLoss(kind, leaves(onePair(-10, -14, -12, -12)), { beta: 0.1 }).dataSync()[0];
        expect(Math.abs(a - b), kind).toBeGreaterThan(0.1);
      }
    });
  });

  it('beta enters the margin once', () => {
    // A report on another trainer found beta applied twice. With h = 3 and beta = 0.1 the loss is
    // -log sigma(0.3) = 0.554355; beta applied twice would give -log sigma(0.03) = 0.678260.
    scope(() => {
      const loss = dpoLoss(leaves(onePair(-1, -4, -2, -2)), { beta: 0.1 }).dataSync()[0];
      expectClose(loss, 0.554355, 1e-6, 'beta once');
    });
  });
});

describe('length normalisation', () => {
  // Chosen: 4 tokens, policy -1 each (sum -4), reference -1.5 each (sum -6). Rejected: 2 tokens,
  // policy -2 each (sum -4), reference -1.5 each (sum -3).
  const sums = onePair(-4, -4, -6, -3);
  const lengths = () => ({ chosen: tensor([4], { dtype: 'f64' }), rejected: tensor([2], { dtype: 'f64' }) });

  it('ipo averages log-probs per token', () => {
    // Averaged: h = (-1 + 1.5) - (-2 + 1.5) = 1 = 1/(2 * 0.5), so the loss is (1 - 1)^2 = 0.
    scope(() => {
      expect(ipoLoss(leaves(sums), { beta: 0.5, lengths: lengths() }).dataSync()[0]).toBe(0);
    });
  });

  it('ipo on summed log-probs differs', () => {
    // Summed: h = 2 - (-1) = 3, loss (3 - 1)^2 = 4; unit lengths reproduce that form.
    scope(() => {
      const units = { chosen: tensor([1], { dtype: 'f64' }), rejected: tensor([1], { dtype: 'f64' }) };
      expectClose(ipoLoss(leaves(sums), { beta: 0.5, lengths: units }).dataSync()[0], 4, 1e-12, 'sums');
    });
  });

  it('dpo normalisation off by default', () => {
    // Summed: d = 0.5 * 3 = 1.5; averaged: d = 0.5 * 1 = 0.5.
    scope(() => {
      expectClose(rewardMargin(leaves(sums), { beta: 0.5 }).dataSync()[0], 1.5, 1e-12, 'summed');
      expectClose(
        rewardMargin(leaves(sums), { beta: 0.5, lengths: lengths() }).dataSync()[0],
        0.5,
        1e-12,
        'averaged',
      );
    });
  });
});

describe('parameter validation', () => {
  it('rejects rao-kupper nu 1 with ties', () => {
    scope(() => {
      expect(() => raoKupperLoss(margins(), { nu: 1, tie: ties(MARGINS.map(() => false)) })).toThrow(
        TieParameterError,
      );
    });
  });

  it('rejects rao-kupper nu below 1', () => {
    scope(() => {
      expect(() => raoKupperLoss(margins(), { nu: 0.9 })).toThrow(/nu >= 1/);
    });
  });

  it('rejects davidson nu 0 with ties', () => {
    scope(() => {
      expect(() => davidsonLoss(margins(), { nu: 0, tie: ties(MARGINS.map(() => true)) })).toThrow(
        TieParameterError,
      );
    });
  });

  it('rejects davidson nu and alpha together', () => {
    scope(() => {
      expect(() => davidsonLoss(margins(), { nu: 1, alpha: 0 })).toThrow(/both nu/);
    });
  });

  it('rejects nonpositive beta', () => {
    scope(() => {
      expect(() => dpoLoss(leaves(onePair(-1, -2, -1, -2)), { beta: 0 })).toThrow(/beta/);
    });
  });

  it('rejects mismatched batch sizes', () => {
    scope(() => {
      const bad = {
        ...leaves(onePair(-1, -2, -1, -2)),
        referenceRejected: tensor([-1, -2], { dtype: 'f64' }),
      };
      expect(() => dpoLoss(bad, { beta: 0.1 })).toThrow(PreferenceInputError);
    });
  });

  it('rejects tie flags of wrong length', () => {
    scope(() => {
      expect(() => raoKupperLoss(margins(), { tie: ties([true]) })).toThrow(/one flag per pair/);
    });
  });
});
