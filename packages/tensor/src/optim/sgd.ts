import { ArgumentError } from '../errors.js';
import { add, castTo, mul } from '../ops/elementwise.js';
import { view } from '../ops/movement.js';
import type { Tensor } from '../tensor.js';
import { assignStorage } from './assign.js';
import { type Hyperparameters, Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  lr: number;
  momentum?: number;
  /** Damps the gradient's share of the momentum buffer (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (coupled, unlike AdamW's decay); default 0. */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, in PyTorch's formulation:
 *
 *   d <- g + weightDecay * p
 *   b <- d at the first update, else momentum * b + (1 - dampening) * d
 *   d <- d + momentum * b with Nesterov, else b
 *   p <- p - lr * d
 */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options.lr, options.schedule, ['momentumBuffer']);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.checkHyperparameters();
  }

  protected update(index: number, param: Tensor, grad: Tensor): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this;
    let direction = castTo(grad, param.dtype);
    if (weightDecay !== 0) direction = add(direction, mul(param, weightDecay));

    if (momentum !== 0) {
      const previous = this.getSlot('momentumBuffer', index);
      const buffer = previous === null ? view(direction) : add(mul(previous, momentum), mul(direction, 1 - dampening));
      this.setSlot('momentumBuffer', index, buffer);
      direction = nesterov ? add(direction, mul(buffer, momentum)) : buffer;
    }

    assignStorage(param, add(param, mul(direction, -lr)));
  }

  protected hyperparameters(): Hyperparameters {
    return { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected setHyperparameters(values: Hyperparameters): void {
    this.momentum = Number(values.momentum);
    this.dampening = Number(values.dampening);
    this.weightDecay = Number(values.weightDecay);
    this.nesterov = Boolean(values.nesterov);
    this.checkHyperparameters();
  }

  private checkHyperparameters(): void {
    const { momentum, dampening, weightDecay, nesterov } = this;
    if (!(momentum >= 0)) throw new ArgumentError('SGD', `momentum = ${momentum} must be non-negative`);
    if (!(weightDecay >= 0)) throw new ArgumentError('SGD', `weightDecay = ${weightDecay} must be non-negative`);
    if (!Number.isFinite(dampening)) throw new ArgumentError('SGD', `dampening = ${dampening} must be a finite number`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new ArgumentError('SGD', `Nesterov momentum needs momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
  }
}
