import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniformAt } from '@lab/data';
import { afterEach, describe, expect, test } from 'vitest';
import { CheckpointError, type CheckpointStateInput, CheckpointStore, checkpointName, Logger, readCheckpoint } from '../src/index.js';
import { tempDir } from './helpers.js';

const quiet = new Logger({ consoleLevel: 'silent' });

function stateAt(step: number, metrics: Record<string, number> = {}): CheckpointStateInput {
  return { stage: 'main', step, data: null, rng: {}, optimizer: null, best: null, metrics, referenceCacheKey: null, pending: { names: [], steps: [], rows: [] }, tokens: 0, extra: null };
}

function files(step: number): Map<string, string> {
  return new Map([['model.safetensors', `weights of step ${step}`]]);
}

let dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const d of dirs) d.remove();
  dirs = [];
});

function newDir(): string {
  const d = tempDir('ckpt');
  dirs.push(d);
  return d.path;
}

describe('readCheckpoint', () => {
  test('roundtrip of a saved checkpoint', async () => {
    const store = new CheckpointStore(newDir(), { log: quiet });
    const path = await store.save(stateAt(5, { validLoss: 1.5 }), files(5));
    const entry = readCheckpoint(path);
    expect(entry.step).toBe(5);
    expect(entry.state.metrics.validLoss).toBe(1.5);
    expect(readFileSync(join(path, 'model.safetensors'), 'utf8')).toBe('weights of step 5');
  });

  test('damaged file is corrupt', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    writeFileSync(join(path, 'model.safetensors'), 'weights of step 2');
    expect(() => readCheckpoint(path)).toThrow(CheckpointError);
    expect(() => readCheckpoint(path)).toThrow(/corrupt.*model\.safetensors/);
  });

  test('missing state file is missing', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    rmSync(join(path, 'state.json'));
    const error = (() => {
      try {
        readCheckpoint(path);
      } catch (e) {
        return e as CheckpointError;
      }
    })();
    expect(error?.problem).toBe('missing');
  });

  test('missing listed file is missing', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    rmSync(join(path, 'model.safetensors'));
    expect(() => readCheckpoint(path)).toThrow(/missing: model\.safetensors is listed/);
  });

  test('old format version is a format error', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8'));
    writeFileSync(join(path, 'state.json'), JSON.stringify({ ...state, version: 0 }));
    expect(() => readCheckpoint(path)).toThrow(/unsupported format.*version 0/);
  });

  test('foreign json is a format error', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    writeFileSync(join(path, 'state.json'), '{"step": 1}');
    expect(() => readCheckpoint(path)).toThrow(/not a @lab\/trainer checkpoint/);
  });

  test('unparsable state is corrupt', async () => {
    const path = await new CheckpointStore(newDir(), { log: quiet }).save(stateAt(1), files(1));
    writeFileSync(join(path, 'state.json'), '{"step": 1');
    expect(() => readCheckpoint(path)).toThrow(/corrupt: state\.json is not valid JSON/);
  });

  test('latest skips a damaged newest checkpoint', async () => {
    const store = new CheckpointStore(newDir(), { log: quiet, keepLast: 3 });
    await store.save(stateAt(1), files(1));
    const second = await store.save(stateAt(2), files(2));
    writeFileSync(join(second, 'model.safetensors'), 'garbage');
    expect(store.latest()?.step).toBe(1);
  });
});

describe('CheckpointStore retention', () => {
  test('keeps newest k and best by metric', async () => {
    const dir = newDir();
    const store = new CheckpointStore(dir, { log: quiet, keepLast: 2, keepBest: 1, metric: 'validLoss', mode: 'min' });
    const losses = [3, 1, 2, 4, 5];
    for (const [i, loss] of losses.entries()) await store.save(stateAt(i + 1, { validLoss: loss }), files(i + 1));
    expect(store.list().map((e) => e.step)).toEqual([2, 4, 5]);
  });

  test('max mode keeps the largest metric', async () => {
    const store = new CheckpointStore(newDir(), { log: quiet, keepLast: 1, keepBest: 1, metric: 'auc', mode: 'max' });
    for (const [i, auc] of [0.5, 0.9, 0.7].entries()) await store.save(stateAt(i + 1, { auc }), files(i + 1));
    expect(store.list().map((e) => e.step)).toEqual([2, 3]);
  });

  test('retention logs what it removes', async () => {
    const lines: string[] = [];
    const log = new Logger({ consoleLevel: 'info', write: (l) => lines.push(l) });
    const store = new CheckpointStore(newDir(), { log, keepLast: 1, keepBest: 0 });
    await store.save(stateAt(1), files(1));
    await store.save(stateAt(2), files(2));
    expect(lines.some((l) => l.includes('retention removed a checkpoint') && l.includes('step=1'))).toBe(true);
  });
});

/**
 * Random save sequences where the process "dies" (the hook throws) at a random point of the save
 * protocol; a new store then recovers. Whatever happens, the newest and the best committed checkpoints
 * must survive, and nothing half-written may remain after recovery.
 */
describe('CheckpointStore crash property', () => {
  const points = ['files-written', 'state-written', 'renamed', 'trashed', 'deleted'];

  test('never loses the newest or best checkpoint', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const dir = newDir();
      const u = (() => {
        let counter = 0;
        return () => uniformAt(1234, trial, counter++);
      })();
      const keepLast = 1 + Math.floor(u() * 3);
      const keepBest = Math.floor(u() * 3);
      const committed: { step: number; loss: number | null }[] = [];
      let crashes = 0;
      for (let step = 1; step <= 25; step++) {
        const loss = u() < 0.2 ? null : Math.round(u() * 1000) / 100;
        const crashAt = u() < 0.3 ? points[Math.floor(u() * points.length)] : null;
        const store = new CheckpointStore(dir, {
          keepLast,
          keepBest,
          metric: 'validLoss',
          mode: 'min',
          hook: (point) => {
            if (point === 'renamed') committed.push({ step, loss });
            if (crashAt && point.startsWith(crashAt)) throw new Error(`simulated kill at ${point}`);
          },
        });
        store.recover();
        try {
          await store.save(stateAt(step, loss === null ? {} : { validLoss: loss }), files(step));
        } catch (error) {
          expect((error as Error).message).toMatch(/simulated kill/);
          crashes += 1;
        }

        const after = new CheckpointStore(dir, { keepLast, keepBest, metric: 'validLoss', mode: 'min' });
        after.recover();
        const names = readdirSync(dir);
        expect(names.filter((n) => n.startsWith('.')), `trial ${trial} step ${step}`).toEqual([]);
        const steps = after.list().map((e) => e.step);
        if (committed.length > 0) {
          const newest = committed[committed.length - 1].step;
          expect(steps, `newest of trial ${trial} at step ${step}`).toContain(newest);
          const scored = committed.filter((c) => c.loss !== null);
          if (scored.length > 0) {
            const best = scored.reduce((a, b) => (b.loss! < a.loss! ? b : a));
            expect(steps, `best of trial ${trial} at step ${step}`).toContain(best.step);
          }
        }
        for (const s of steps) expect(existsSync(join(dir, checkpointName(s), 'state.json'))).toBe(true);
      }
      expect(crashes).toBeGreaterThan(0);
    }
  });
});
