import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type LoadedSafetensors, type LoadOptions, loadSafetensorsBytes, type SaveOptions, saveSafetensorsBytes } from './safetensors.js';
import type { Tensor } from '../tensor.js';

/** Reads a .safetensors file into tensors; errors name the file and the tensor. */
export async function loadSafetensors(path: string, options: LoadOptions = {}): Promise<LoadedSafetensors> {
  const bytes = await readFile(path);
  return loadSafetensorsBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { source: path, ...options });
}

/**
 * Writes tensors to a .safetensors file through a temporary file and a rename, so a crash leaves either
 * the old file or the complete new one.
 */
export async function saveSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, options: SaveOptions = {}): Promise<void> {
  const bytes = await saveSafetensorsBytes(tensors, options);
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
