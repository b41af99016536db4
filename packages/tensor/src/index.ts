import { registerBackend } from './backend.js';
import { CpuBackend } from './backends/cpu/index.js';
import { WasmBackend } from './backends/wasm/index.js';

registerBackend('cpu', () => new CpuBackend());
registerBackend('wasm', () => new WasmBackend());

export { gradients, backward, type GradientOptions } from './autograd/engine.js';
export { grad, valueAndGrad } from './autograd/functional.js';
export { isGradEnabled, noGrad } from './autograd/mode.js';
export { initWasm, WasmBackend, type WasmBackendOptions, type WasmInitOptions } from './backends/wasm/index.js';
export { type Backend, type BufferView, currentBackendName, getBackend, registerBackend, registeredBackends, useBackend } from './backend.js';
export type { DType, TypedArray } from './dtype.js';
export {
  initWebGPU,
  type ModelPlan,
  type PreflightReport,
  selectBackend,
  type Selection,
  WebGPUBackend,
  WebGPUDeviceLostError,
  WebGPUDriverError,
  WebGPUIndexError,
  type WebGPUInitOptions,
  WebGPULimitError,
  webgpuPreflight,
  WebGPUUnavailableError,
} from './backends/webgpu/index.js';
export * from './errors.js';
export {
  type LoadedSafetensors,
  type LoadOptions,
  loadSafetensorsBytes,
  type SaveOptions,
  saveSafetensorsBytes,
} from './io/safetensors.js';
export {
  parseSafetensors,
  type RawTensor,
  SafetensorsError,
  type SafetensorsDtype,
  serializeSafetensors,
} from './io/safetensors-format.js';
export { keep, memory, type MemoryInfo, scope, scopeAsync } from './memory.js';
export * as nn from './nn/index.js';
export { Dropout, Embedding, LayerNorm, Linear, Module, ModuleList, RMSNorm, Sequential, StateDictError } from './nn/index.js';
export * as optim from './optim/index.js';
export { AdamW, clipGradNorm, Optimizer, OptimizerStateError, SGD } from './optim/index.js';
export * from './ops/api.js';
export { Generator, type GeneratorState, getDefaultGenerator, manualSeed } from './random/generator.js';
export { type NestedArray, Tensor, type TensorLike } from './tensor.js';
