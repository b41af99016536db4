export { type Layer, ModuleList, Sequential } from './container.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { Embedding } from './embedding.js';
export { StateDictError, type StateDictProblem } from './errors.js';
export { initGenerator, type InitOptions } from './init.js';
export { Linear, type LinearOptions } from './linear.js';
export { type LoadStateDictOptions, type LoadStateDictResult, Module } from './module.js';
export { LayerNorm, type LayerNormOptions, RMSNorm, type RMSNormOptions } from './norm.js';
