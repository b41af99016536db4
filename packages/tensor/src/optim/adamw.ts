import { ArgumentError } from '../errors.js';
import { add, castTo, div, mul, sqrt, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { assignStorage } from './assign.js';
import { type Hyperparameters, Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdamWOptions extends OptimizerOptions {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay per unit of learning rate (default 0.01). */
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization",
 * 2019), in the order of the single-tensor path of torch.optim.AdamW (PyTorch 2.x). With t the
 * parameter's update count:
 *
 *   p  <- p * (1 - lr * weightDecay)
 *   m  <- m + (1 - beta1) * (g - m)
 *   v  <- beta2 * v + (1 - beta2) * g^2
 *   p  <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * Moments start at zero and take the parameter's dtype.
 */
export class AdamW extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;

  constructor(params: Iterable<Tensor>, options: AdamWOptions = {}) {
    super(params, options.lr ?? 1e-3, options.schedule, ['expAvg', 'expAvgSq']);
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.checkHyperparameters();
  }

  protected update(index: number, param: Tensor, grad: Tensor): void {
    const { lr, beta1, beta2, eps, weightDecay } = this;
    const t = this.paramSteps[index];
    const g = castTo(grad, param.dtype);

    const decayed = weightDecay !== 0 ? mul(param, 1 - lr * weightDecay) : param;

    const m0 = this.getSlot('expAvg', index);
    const v0 = this.getSlot('expAvgSq', index);
    const gSquared = mul(g, g);
    const m = m0 === null ? mul(g, 1 - beta1) : add(m0, mul(sub(g, m0), 1 - beta1));
    const v = v0 === null ? mul(gSquared, 1 - beta2) : add(mul(v0, beta2), mul(gSquared, 1 - beta2));
    this.setSlot('expAvg', index, m);
    this.setSlot('expAvgSq', index, v);

    const stepSize = lr / (1 - beta1 ** t);
    const denom = add(div(sqrt(v), Math.sqrt(1 - beta2 ** t)), eps);
    assignStorage(param, sub(decayed, mul(div(m, denom), stepSize)));
  }

  protected hyperparameters(): Hyperparameters {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  protected setHyperparameters(values: Hyperparameters): void {
    this.beta1 = Number(values.beta1);
    this.beta2 = Number(values.beta2);
    this.eps = Number(values.eps);
    this.weightDecay = Number(values.weightDecay);
    this.checkHyperparameters();
  }

  private checkHyperparameters(): void {
    const { beta1, beta2, eps, weightDecay } = this;
    if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentError('AdamW', `beta1 = ${beta1} must be in [0, 1)`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentError('AdamW', `beta2 = ${beta2} must be in [0, 1)`);
    if (!(eps >= 0)) throw new ArgumentError('AdamW', `eps = ${eps} must be non-negative`);
    if (!(weightDecay >= 0)) throw new ArgumentError('AdamW', `weightDecay = ${weightDecay} must be non-negative`);
  }
}
