// The WebGPU backend: device acquisition, the backend class, backend selection and the preflight check.
export { WebGPUBackend, type WebGPUBackendOptions, type WebGPUStats } from './backend.js';
export type { AcquireOptions, AdapterDescription } from './device.js';
export {
  WebGPUDeviceLostError,
  WebGPUDriverError,
  WebGPUIndexError,
  WebGPULimitError,
  WebGPUUnavailableError,
} from './errors.js';
export {
  initWebGPU,
  type Selection,
  type SelectOptions,
  selectBackend,
  type WebGPUInitOptions,
} from './init.js';
export type { KernelLimits } from './limits.js';
export {
  type ModelPlan,
  type OpSplit,
  type PlannedOp,
  type PlannedTensor,
  type PreflightReport,
  preflightWithLimits,
  type TensorFit,
  webgpuPreflight,
} from './preflight.js';
