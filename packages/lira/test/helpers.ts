// Shared pieces of the lira tests: temporary folders, a trainer context on the cpu backend and a
// tiny GPT recipe whose trainings can be counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenizedExample } from '@lab/data';
import { type CausalLM, createModel, gptConfig } from '@lab/models';
import type { Module } from '@lab/tensor';
import { createContext, Logger, lmBatch, lmLoss, type MethodContext, RunDir } from '@lab/trainer';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lira-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const TINY_VOCAB = 12;

export function tinyGpt(seed: number): CausalLM {
  return createModel(gptConfig({ vocabSize: TINY_VOCAB, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 }), {
    seed,
    backend: 'cpu',
  });
}

/** Deterministic rows of 5 tokens below TINY_VOCAB; `salt` changes the data set. */
export function tinyRows(count: number, salt = 0): TokenizedExample[] {
  return Array.from({ length: count }, (_, i) => ({
    prompt: [1],
    completion: Array.from({ length: 4 }, (_, t) => 2 + ((i * 5 + t * 3 + salt) % (TINY_VOCAB - 2))),
  }));
}

/** Creates a trainer context over `dir` whose owned models are freed by the returned cleanup. */
export function tinyContext(
  dir: string,
  signal = new AbortController().signal,
): { ctx: MethodContext<unknown>; free: () => void } {
  const owned: Module[] = [];
  const ctx = createContext<unknown>({
    method: 'lira-test',
    config: {},
    seed: 0,
    backend: 'cpu',
    run: new RunDir(dir).ensure(),
    log: new Logger({ consoleLevel: 'silent' }),
    signal,
    resume: true,
    stepsOverride: null,
    cacheDir: dir,
    roots: [dir],
    onData: () => {},
    refreshReport: async () => {},
    owned,
  });
  return {
    ctx,
    free: () => {
      for (const m of owned) if (!m.isDisposed) m.dispose();
    },
  };
}

/** Trains a tiny GPT for one optimizer step on the given rows. */
export async function trainTiny(
  jobCtx: MethodContext<unknown>,
  rows: readonly TokenizedExample[],
  seed: number,
): Promise<CausalLM> {
  const model = jobCtx.own(tinyGpt(seed));
  await jobCtx.trainModel({
    model,
    rows,
    collate: (r) => lmBatch(r, { backend: 'cpu' }),
    loss: (b) => lmLoss(model, b),
    optimizer: { lr: 1e-2 },
    batchSize: 4,
    steps: 1,
    seed,
    logEvery: 1,
    checkpointEvery: null,
  });
  return model;
}
