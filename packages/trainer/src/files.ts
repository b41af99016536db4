/** File helpers shared by run directories, checkpoints and the reference cache. */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Tensor } from '@lab/tensor';

let counter = 0;

/** A temporary name beside `path`, unique within this process and across processes. */
export function temporaryPath(path: string): string {
  counter += 1;
  return `${path}.tmp-${process.pid}-${counter}`;
}

/** Writes through a temporary file and a rename, so readers see the old file or the whole new one. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export function writeAtomicSync(path: string, data: string | Uint8Array): void {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path));
}

export function sha256FileSync(path: string): string {
  return sha256(readFileSync(path));
}

/**
 * A content hash of named tensors: names, dtypes, shapes and values, in the given order. Two models
 * with the same parameters hash the same, whatever their history.
 */
export async function hashTensors(entries: Iterable<[string, Tensor]>): Promise<string> {
  const hash = createHash('sha256');
  for (const [name, t] of entries) {
    const data = await t.data();
    hash.update(`${name}:${t.dtype}:${t.shape.join('x')};`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}
