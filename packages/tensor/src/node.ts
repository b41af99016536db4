// Node-only entry point (`@lab/tensor/node`): file helpers that import node:fs.
import './index.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-node.js';
