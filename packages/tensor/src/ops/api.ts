// The front-end ops, re-exported in one place for the Tensor class and the package index.
export * from './creation.js';
export * from './elementwise.js';
export * from './fused.js';
export * from './linalg.js';
export * from './misc.js';
export * from './movement.js';
export * from './order.js';
export * from './random.js';
export * from './reduce.js';
