// Node-only entry point (`@lab/models/node`): load and save models from paths.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Llama } from './llama.js';
import { type Llama2cLoadOptions, llamaFromLlama2c } from './llama2c.js';
import type { CausalLM } from './model.js';
import {
  type Gpt2LoadOptions,
  gptFromSafetensors,
  loadModelBytes,
  type ModelLoadOptions,
  saveModelBytes,
} from './serialize.js';

export * from './index.js';

async function readBytes(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes through a temporary file and a rename, so a crash leaves the old file or the whole new one. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Loads a legacy llama2.c checkpoint such as `stories260K.bin`. */
export async function loadLlama2c(
  path: string,
  options: Omit<Llama2cLoadOptions, 'source'> = {},
): Promise<Llama> {
  return llamaFromLlama2c(await readBytes(path), { ...options, source: path });
}

/** Loads GPT-2-format safetensors (e.g. Hugging Face's `model.safetensors` for gpt2). */
export async function loadGpt2Safetensors(
  path: string,
  options: Omit<Gpt2LoadOptions, 'source'>,
): Promise<CausalLM> {
  return gptFromSafetensors(await readBytes(path), { ...options, source: path });
}

/** Writes `config.json` and `model.safetensors` into `directory` (created if missing). */
export async function saveModel(directory: string, model: CausalLM): Promise<void> {
  const { config, weights } = await saveModelBytes(model);
  await mkdir(directory, { recursive: true });
  await writeAtomically(join(directory, 'model.safetensors'), weights);
  await writeAtomically(join(directory, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads a directory written by `saveModel`. */
export async function loadModel(
  directory: string,
  options: Omit<ModelLoadOptions, 'source'> = {},
): Promise<CausalLM> {
  const configPath = join(directory, 'config.json');
  const config = await readFile(configPath, 'utf8');
  return loadModelBytes(config, await readBytes(join(directory, 'model.safetensors')), {
    ...options,
    source: directory,
  });
}
