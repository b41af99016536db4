// Shared pieces of the trainer tests: temporary folders, a tiny Llama and synthetic token rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenizedExample } from '@lab/data';
import { type CausalLM, createModel, llamaConfig } from '@lab/models';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lab-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const TINY_VOCAB = 16;

/** A one-layer Llama small enough that a training step takes milliseconds on the cpu backend. */
export function tinyModel(seed = 0, backend = 'cpu'): CausalLM {
  const config = llamaConfig({ dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, vocabSize: TINY_VOCAB, maxSeqLen: 32 });
  return createModel(config, { seed, backend });
}

/** Deterministic rows: prompt [1, a], completion of 3-6 tokens, all ids below TINY_VOCAB. */
export function syntheticRows(count: number, salt = 0): TokenizedExample[] {
  const rows: TokenizedExample[] = [];
  for (let i = 0; i < count; i++) {
    const length = 3 + ((i * 7 + salt) % 4);
    const completion = Array.from({ length }, (_, t) => 2 + ((i * 5 + t * 3 + salt) % (TINY_VOCAB - 2)));
    rows.push({ prompt: [1, 2 + (i % 5)], completion });
  }
  return rows;
}
