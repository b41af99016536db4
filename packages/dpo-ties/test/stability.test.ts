// Numerical stability: large scaled margins, extreme |d| in f64 and f32, and log-probs of -1e3.
// A naive -log(sigmoid(x)) or a product of sigmoids gives inf and NaN gradients in these cases.
import { type DType, isFinite as finiteMask, memory, scope, sum, tensor } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  davidsonLoss,
  dpoDavidsonLoss,
  dpoLoss,
  dpoRaoKupperLoss,
  raoKupperLoss,
  bradleyTerryLoss,
} from '../src/core.js';
import { backwardOf, expectClose, leaves, onePair, ties } from './helpers.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

describe('dpo large negative scaled margin', () => {
  it('beta 50 margin -20 gives loss 1000', () => {
    // x = beta * h = -1000: loss = softplus(1000) = 1000; dL/dx = -sigma(1000) = -1, so dL/dh = -50.
    scope(() => {
      const inputs = leaves(onePair(-30, -10, 0, 0)); // h = (-30 + 10) - 0 = -20
      const { value, grads } = backwardOf(dpoLoss(inputs, { beta: 50 }), inputs);
      expectClose(value, 1000, 1e-9, 'loss');
      expectClose(grads.policyChosen[0], -50, 1e-9, 'dL/dh');
      expectClose(grads.policyRejected[0], 50, 1e-9, 'dL/dlogpi(y_l)');
    });
  });

  it('f32 margin -100 gives loss 100', () => {
    scope(() => {
      const x = tensor([-100], { dtype: 'f32' }).setRequiresGrad();
      const loss = sum(bradleyTerryLoss(x));
      loss.backward();
      expect(loss.dataSync()[0]).toBe(100);
      expectClose(x.grad!.dataSync()[0], -1, 1e-7, 'dL/dx');
    });
  });
});

// Columns: RK clear, RK tie, D clear, D tie (nu_RK = 3, nu_D = 1). For large |d| the RK tie loss
// softplus(ln 3 - d) + softplus(ln 3 + d) - ln 8 tends to |d| + ln 3 - ln 8 = |d| - 0.980829, and the
// D tie loss LSE(d/2, -d/2, ln 2) - ln 2 tends to |d|/2 - ln 2 = |d|/2 - 0.693147.
const EXTREMES: [number, number, number, number, number][] = [
  [-800, 801.098612, 799.019171, 800, 399.306853],
  [-80, 81.098612, 79.019171, 80.0, 39.306853],
  [80, 5.4e-35, 79.019171, 0, 39.306853],
  [800, 0, 799.019171, 0, 399.306853],
];

function extremeLosses(dtype: DType) {
  const d = tensor(
    EXTREMES.map((row) => row[0]),
    { dtype },
  ).setRequiresGrad();
  const flags = (tie: boolean) => ties(EXTREMES.map(() => tie));
  const columns = [
    raoKupperLoss(d, { tie: flags(false) }),
    raoKupperLoss(d, { tie: flags(true) }),
    davidsonLoss(d, { tie: flags(false) }),
    davidsonLoss(d, { tie: flags(true) }),
  ];
  return { d, columns };
}

describe('extreme margins do not overflow', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    const tolerance = dtype === 'f64' ? 1e-6 : 1e-4;
    it(`${dtype} values at d of 80 and 800`, () => {
      scope(() => {
        const { columns } = extremeLosses(dtype);
        columns.forEach((column, c) => {
          const values = Array.from(column.dataSync());
          values.forEach((v, r) => {
            expectClose(v, EXTREMES[r][c + 1], tolerance, `${dtype} column ${c} d = ${EXTREMES[r][0]}`);
          });
        });
      });
    });

    it(`${dtype} gradients finite at extreme d`, () => {
      scope(() => {
        const { d, columns } = extremeLosses(dtype);
        for (const column of columns) {
          d.grad?.dispose();
          d.grad = null;
          sum(column).backward();
          expect(Array.from(finiteMask(d.grad!).dataSync())).toEqual([1, 1, 1, 1]);
        }
      });
    });
  }

  it('rao-kupper clear at d 80 keeps its tiny value', () => {
    // softplus(ln 3 - 80) = log1p(3 e^-80) = 5.4e-35, resolved relative to itself in f64.
    scope(() => {
      const v = raoKupperLoss(tensor([80], { dtype: 'f64' })).dataSync()[0];
      expectClose(v / (3 * Math.exp(-80)), 1, 1e-12, 'relative');
    });
  });

  it('tie gradients saturate at extreme d', () => {
    // RK tie: dL/dd = sigma(d + alpha) - sigma(alpha - d) -> +1 at d = 800, -1 at d = -800.
    // D tie:  dL/dd = sinh(d/2) / (2 cosh(d/2) + 2) -> +1/2 and -1/2.
    scope(() => {
      const d = tensor([-800, 800], { dtype: 'f64' }).setRequiresGrad();
      sum(raoKupperLoss(d, { tie: ties([true, true]) })).backward();
      expect(Array.from(d.grad!.dataSync())).toEqual([-1, 1]);
      d.grad!.dispose();
      d.grad = null;
      sum(davidsonLoss(d, { tie: ties([true, true]) })).backward();
      expect(Array.from(d.grad!.dataSync())).toEqual([-0.5, 0.5]);
    });
  });
});

describe('log-probs near -1e3', () => {
  it('f32 sequence log-probs keep the margin', () => {
    // h = (-1000 + 1003) - (-1001 + 1002) = 2, all exact in f32; beta = 0.5 gives d = 1.
    scope(() => {
      const inputs = leaves(onePair(-1000, -1003, -1001, -1002), 'f32');
      const loss = dpoRaoKupperLoss(inputs, { beta: 0.5, tie: ties([true]) }).dataSync()[0];
      // RK tie at d = 1: softplus(ln 3 - 1) + softplus(ln 3 + 1) - ln 8.
      const softplus = (x: number) => Math.log1p(Math.exp(x));
      const expected = softplus(Math.log(3) - 1) + softplus(Math.log(3) + 1) - Math.log(8);
      expectClose(loss, expected, 1e-6, 'RK tie');
    });
  });

  it('margin of -999 stays finite with gradients', () => {
    scope(() => {
      for (const dtype of ['f64', 'f32'] as const) {
        const inputs = leaves(onePair(-1000, -1, -500, -500), dtype); // h = -999, beta = 1
        const { value, grads } = backwardOf(dpoDavidsonLoss(inputs, { beta: 1, tie: ties([false]) }), inputs);
        // D clear at d = -999: LSE(0, 999, ln 2 + 499.5) = 999 + tiny.
        expectClose(value, 999, 1e-3, `${dtype} loss`);
        expectClose(grads.policyChosen[0], -1, 1e-6, `${dtype} dL/dlogpi(y_w)`);
      }
    });
  });
});
