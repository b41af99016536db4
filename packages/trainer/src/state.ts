/**
 * What a checkpoint holds besides its JSON: model weights (with config.json for language models, so
 * `lab generate --model <checkpoint>` can load it), optimizer moments, method tensors. Also the seeded
 * batch order, whose whole state is three numbers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { batchIndices } from '@lab/data';
import { CausalLM, saveModelBytes } from '@lab/models';
import { type Generator, getDefaultGenerator, type GeneratorState, type Module, type Optimizer, saveSafetensorsBytes, type Tensor } from '@lab/tensor';
import { loadSafetensors } from '@lab/tensor/node';
import type { DataPosition, OptimizerJson } from './checkpoint.js';
import { CheckpointError } from './errors.js';

export const MODEL_FILE = 'model.safetensors';
export const MODEL_CONFIG_FILE = 'config.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const EXTRA_FILE = 'extra.safetensors';

/** Serializes the model, optimizer and extra tensors into checkpoint files. */
export async function checkpointFiles(model: Module, optimizer: Optimizer | null, extra: ReadonlyMap<string, Tensor> | null): Promise<{ files: Map<string, Uint8Array | string>; optimizer: OptimizerJson | null }> {
  const files = new Map<string, Uint8Array | string>();
  if (model instanceof CausalLM) {
    const saved = await saveModelBytes(model);
    files.set(MODEL_FILE, saved.weights);
    files.set(MODEL_CONFIG_FILE, `${JSON.stringify(saved.config, null, 2)}\n`);
  } else {
    files.set(MODEL_FILE, await saveSafetensorsBytes(new Map(model.namedParameters())));
  }
  let optimizerJson: OptimizerJson | null = null;
  if (optimizer) {
    const state = optimizer.state();
    try {
      files.set(OPTIMIZER_FILE, await saveSafetensorsBytes(state.tensors));
    } finally {
      for (const t of state.tensors.values()) t.dispose();
    }
    optimizerJson = { kind: state.kind, step: state.step, lr: state.lr, hyperparameters: state.hyperparameters, paramSteps: state.paramSteps };
  }
  if (extra && extra.size > 0) files.set(EXTRA_FILE, await saveSafetensorsBytes(new Map(extra)));
  return { files, optimizer: optimizerJson };
}

async function loadTensors(path: string, backend: string): Promise<Map<string, Tensor>> {
  try {
    return (await loadSafetensors(path, { backend })).tensors;
  } catch (error) {
    throw new CheckpointError(path, 'corrupt', `cannot be read as safetensors (${(error as Error).message})`);
  }
}

function disposeAll(tensors: Map<string, Tensor>): void {
  for (const t of tensors.values()) t.dispose();
}

/** Loads weights, optimizer state and extra tensors from a checkpoint directory into live objects. */
export async function restoreCheckpoint(dir: string, model: Module, optimizer: Optimizer | null, optimizerJson: OptimizerJson | null, backend: string): Promise<Map<string, Tensor> | null> {
  const weights = await loadTensors(join(dir, MODEL_FILE), backend);
  try {
    model.loadStateDict(weights);
  } catch (error) {
    throw new CheckpointError(dir, 'mismatch', `the saved weights do not fit this model (${(error as Error).message}); resume with the configuration that wrote the checkpoint`);
  } finally {
    disposeAll(weights);
  }
  if (optimizer && optimizerJson) {
    const tensors = await loadTensors(join(dir, OPTIMIZER_FILE), backend);
    try {
      optimizer.loadState({ ...optimizerJson, tensors });
    } catch (error) {
      throw new CheckpointError(dir, 'mismatch', `the optimizer state does not fit (${(error as Error).message}); resume with the configuration that wrote the checkpoint`);
    } finally {
      disposeAll(tensors);
    }
  }
  if (!existsSync(join(dir, EXTRA_FILE))) return null;
  return loadTensors(join(dir, EXTRA_FILE), backend);
}

/** Named random streams; `default` is the generator ops use when given no seed. */
export function rngStates(streams: Readonly<Record<string, Generator>>): Record<string, GeneratorState> {
  const out: Record<string, GeneratorState> = { default: getDefaultGenerator().state() };
  for (const [name, generator] of Object.entries(streams)) out[name] = generator.state();
  return out;
}

export function restoreRng(streams: Readonly<Record<string, Generator>>, states: Record<string, GeneratorState>): void {
  if (states.default) getDefaultGenerator().setState(states.default);
  for (const [name, generator] of Object.entries(streams)) {
    if (states[name]) generator.setState(states[name]);
  }
}

/**
 * Batches of row indices in a seeded order: epoch e uses permutation(n, seed, e), so the order at
 * any position is recomputed from (seed, epoch, index) alone.
 */
export class DataOrder {
  private batches: number[][];
  seed: number;
  epoch: number;
  index: number;

  constructor(
    readonly rows: number,
    readonly batchSize: number,
    position: DataPosition,
    readonly shuffle = true,
  ) {
    if (rows === 0) throw new CheckpointError('<data>', 'mismatch', 'the training set has no rows');
    this.seed = position.seed;
    this.epoch = position.epoch;
    this.index = position.index;
    this.batches = this.epochBatches(this.epoch);
  }

  private epochBatches(epoch: number): number[][] {
    const dropLast = this.rows >= this.batchSize;
    return batchIndices(this.rows, { batchSize: this.batchSize, seed: this.seed, epoch, shuffle: this.shuffle, dropLast });
  }

  /** Moves to a saved position, recomputing that epoch's order. */
  seek(position: DataPosition): void {
    this.seed = position.seed;
    this.epoch = position.epoch;
    this.index = position.index;
    this.batches = this.epochBatches(this.epoch);
  }

  get batchesPerEpoch(): number {
    return this.batches.length;
  }

  next(): number[] {
    if (this.index >= this.batches.length) {
      this.epoch += 1;
      this.index = 0;
      this.batches = this.epochBatches(this.epoch);
    }
    const batch = this.batches[this.index];
    this.index += 1;
    return batch;
  }

  position(): DataPosition {
    return { seed: this.seed, epoch: this.epoch, index: this.index };
  }
}
