import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fromArray, loadSafetensorsBytes, memory, SafetensorsError, saveSafetensorsBytes, tensor } from '../src/index.js';
import { loadSafetensors, saveSafetensors } from '../src/node.js';

const folder = mkdtempSync(join(tmpdir(), 'lab-safetensors-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
afterEach(() => expect(memory().tensors).toBe(0));

describe('safetensors tensors', () => {
  it('round trip keeps dtype, shape and values', async () => {
    const weights = new Map([
      ['w', tensor([[1.5, -2], [0.25, 3]])],
      ['ids', tensor([1, -7, 2147483647], { dtype: 'i32' })],
      ['mask', tensor([true, false, true])],
      ['empty', fromArray(new Float32Array(0), [2, 0])],
    ]);
    const bytes = await saveSafetensorsBytes(weights, { metadata: { format: 'pt' } });
    const loaded = loadSafetensorsBytes(bytes);
    expect(loaded.metadata).toEqual({ format: 'pt' });
    expect([...loaded.tensors.keys()].sort()).toEqual(['empty', 'ids', 'mask', 'w']);
    expect(await loaded.tensors.get('w')!.array()).toEqual([[1.5, -2], [0.25, 3]]);
    expect(await loaded.tensors.get('ids')!.array()).toEqual([1, -7, 2147483647]);
    expect(loaded.tensors.get('ids')!.dtype).toBe('i32');
    expect(await loaded.tensors.get('mask')!.array()).toEqual([true, false, true]);
    expect(loaded.tensors.get('empty')!.shape).toEqual([2, 0]);
    for (const t of [...weights.values(), ...loaded.tensors.values()]) t.dispose();
  });

  it('bf16 storage rounds to 8 mantissa bits', async () => {
    // 1 + 2^-9 is below half an ulp of bf16 at 1 (2^-8), so it rounds to 1; 3 is exact.
    const x = tensor([1 + 2 ** -9, 3]);
    const loaded = loadSafetensorsBytes(await saveSafetensorsBytes({ x }, { floatDtype: 'BF16' }));
    expect(Array.from(loaded.tensors.get('x')!.dataSync())).toEqual([1, 3]);
    x.dispose();
    loaded.tensors.get('x')!.dispose();
  });

  it('file save is atomic and load names the file', async () => {
    const path = join(folder, 'model.safetensors');
    const w = tensor([1, 2, 3]);
    await saveSafetensors(path, { w });
    w.dispose();
    expect(readdirSync(folder)).toEqual(['model.safetensors']);
    const loaded = await loadSafetensors(path);
    expect(Array.from(loaded.tensors.get('w')!.dataSync())).toEqual([1, 2, 3]);
    loaded.tensors.get('w')!.dispose();

    const truncated = readFileSync(path).subarray(0, 20);
    writeFileSync(path, truncated);
    await expect(loadSafetensors(path)).rejects.toThrow(SafetensorsError);
    await expect(loadSafetensors(path)).rejects.toThrow(path);
  });

  it('saving a disposed tensor fails with its name', async () => {
    const w = tensor([1]);
    w.dispose();
    await expect(saveSafetensorsBytes({ gone: w })).rejects.toThrow('"gone"');
  });
});
