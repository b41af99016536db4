import { BackendError } from '../../errors.js';

/**
 * A WebGPU limit would be exceeded by a dispatch or an allocation. The work is rejected before it
 * runs, so no output is left silently zero.
 */
export class WebGPULimitError extends BackendError {
  constructor(
    readonly op: string,
    readonly limit: string,
    readonly requested: number,
    readonly maximum: number,
    advice = 'split the tensor into smaller pieces or run this op on the cpu backend',
  ) {
    super(
      'webgpu',
      `${op} needs ${limit} = ${requested}, but the device allows at most ${maximum}; ${advice}`,
    );
    this.name = 'WebGPULimitError';
  }
}

/** The GPU device was lost (driver reset, `destroy()`, out of memory). Every later call fails with this error. */
export class WebGPUDeviceLostError extends BackendError {
  constructor(
    readonly reason: string,
    readonly driverMessage: string,
  ) {
    super(
      'webgpu',
      `the device was lost (reason: ${reason}): ${driverMessage || 'no message from the driver'}; call initWebGPU() again for a new device`,
    );
    this.name = 'WebGPUDeviceLostError';
  }
}

/** The driver reported an error (validation, out of memory, internal) for work this backend submitted. */
export class WebGPUDriverError extends BackendError {
  constructor(
    readonly kind: string,
    readonly driverMessage: string,
  ) {
    super('webgpu', `the driver reported a ${kind} error: ${driverMessage}`);
    this.name = 'WebGPUDriverError';
  }
}

/** No WebGPU adapter could be acquired in this runtime. */
export class WebGPUUnavailableError extends BackendError {
  constructor(readonly reason: string) {
    super('webgpu', `no WebGPU adapter is available: ${reason}`);
    this.name = 'WebGPUUnavailableError';
  }
}

/**
 * A kernel met an invalid index while it ran on the GPU (gather, scatterAdd, oneHot, crossEntropy
 * targets). GPU code cannot throw, so the kernel raises a flag and the next read reports it.
 */
export class WebGPUIndexError extends BackendError {
  constructor(
    readonly op: string,
    readonly index: number,
    readonly size: number,
  ) {
    super(
      'webgpu',
      `${op} met index ${index}, outside [0, ${size}); the output of that op holds zeros where the index was bad`,
    );
    this.name = 'WebGPUIndexError';
  }
}
