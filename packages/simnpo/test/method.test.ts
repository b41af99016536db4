// The Method on the committed fixture models: spec defaults of each algorithm, the fine-tuned fixture
// having learnt forget10 (lower answer NLL than on the never-seen holdout10), and the quick demo run
// end to end through runMethod with every algorithm, writing its results and report.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteTokenizer } from '@lab/data';
import { dataPath } from '@lab/data/node';
import { loadModel } from '@lab/models/node';
import { decodeConfig, runMethod } from '@lab/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { simNpoConfig } from '../src/config.js';
import { answerNll } from '../src/evaluate.js';
import { method, objectiveOf, RESULTS_FILE } from '../src/method.js';
import { readResults } from '../src/report.js';
import { encodeQa, loadTofuSets } from '../src/tofu.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'simnpo-'));
const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('simnpo method config', () => {
  it('defaults follow tofu forget10', () => {
    const cfg = decodeConfig(simNpoConfig, {}, 'simnpo');
    expect(objectiveOf(cfg, 'simnpo')).toEqual({ kind: 'simnpo', beta: 4.5, margin: 0, forgetWeight: 0.125, retainWeight: 1 });
    expect(objectiveOf(cfg, 'npo')).toEqual({ kind: 'npo', beta: 0.1, margin: 0, forgetWeight: 1, retainWeight: 1 });
    expect(objectiveOf(cfg, 'graddiff')).toMatchObject({ kind: 'ga', forgetWeight: 1, retainWeight: 1 });
    expect(objectiveOf(cfg, 'ga')).toMatchObject({ kind: 'ga', forgetWeight: 1, retainWeight: 0 });
  });
});

describe('tofu fixture models', () => {
  it('full model learnt forget set', async () => {
    const sets = await loadTofuSets(dataPath('tofu'));
    const tok = new ByteTokenizer();
    const full = await loadModel(fixture('tofu-full'), { backend: 'wasm' });
    const gold = await loadModel(fixture('tofu-retain'), { backend: 'wasm' });
    const settings = { backend: 'wasm', maxLength: 160, batchSize: 40 };
    const encode = (rows: typeof sets.forget) => rows.slice(0, 40).map((r) => encodeQa(tok, r.question, r.answer));
    const forgetFull = mean(await answerNll(full, encode(sets.forget), settings));
    const holdoutFull = mean(await answerNll(full, encode(sets.holdout), settings));
    const forgetGold = mean(await answerNll(gold, encode(sets.forget), settings));
    full.dispose();
    gold.dispose();
    // Same forget rows, two models: the one trained on them is at least 0.15 nats per token lower.
    expect(forgetGold - forgetFull).toBeGreaterThan(0.15);
    // Against authors it never saw, the fine-tuned model is lower on the forget authors too.
    expect(holdoutFull - forgetFull).toBeGreaterThan(0.05);
  });
});

describe('quick demo run', () => {
  it('quick demo runs all methods', async () => {
    const quick = method.demos?.[0].quickConfig as Record<string, Record<string, unknown>>;
    const outcome = await runMethod({
      method,
      config: {
        ...quick,
        data: { ...quick.data, tofuDir: dataPath('tofu') },
        model: { full: fixture('tofu-full'), retain: fixture('tofu-retain') },
      },
      out: join(out, 'quick'),
      backend: 'wasm',
      logLevel: 'error',
      handleSigint: false,
    });
    expect(outcome.status).toBe('finished');
    const results = readResults(join(outcome.runDir, RESULTS_FILE));
    for (const a of ['ga', 'graddiff', 'npo', 'simnpo']) {
      const points = results.history.filter((p) => p.algorithm === a);
      expect(points.map((p) => p.step)).toEqual([0, 2]);
      expect(points[1].metrics.forgetQuality).toBeGreaterThanOrEqual(0);
      expect(points[1].metrics.forgetQuality).toBeLessThanOrEqual(1);
    }
    // The retain-only model is the reference distribution of forget quality, so against itself it is 1.
    expect(results.retainOnly.forgetQuality).toBeCloseTo(1, 12);
    expect(outcome.eval?.metrics['simnpo.forgetQuality']).toBeDefined();
    expect(existsSync(join(outcome.runDir, 'report.html'))).toBe(true);
  });
});
