// The steering comparison end to end at a tiny size, as `lab demo dpo-ties --quick` runs it: reward
// model, sampled prompts and pairs, four variants on the same data, evaluations at every step, the
// comparison report and the results table. It runs on wasm, the backend `auto` picks without a GPU.
// The shipped example configs must decode.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeConfig, runMethod } from '@lab/trainer';
import { memory } from '@lab/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { method } from '../src/index.js';
import { dpoTiesConfig } from '../src/method/config.js';
import { STEERING_DEMO_CONFIG } from '../src/method/demo.js';

const REPO = resolve(import.meta.dirname, '../../..');
const DATA = join(REPO, 'data');
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dpo-ties-steering-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const tiny = () => ({
  compare: ['dpo:cp', 'dpo:cp+tp', 'dpo-rk:cp+tp', 'dpo-d:cp+tp'],
  model: { path: join(DATA, 'stories260K/stories260K.bin'), tokenizer: join(DATA, 'stories260K/tok512.bin') },
  data: { format: 'steering', maxLength: 12 },
  reward: { data: [join(DATA, 'sentiment-labelled-sentences/yelp_labelled.txt')], epochs: 60 },
  steering: {
    prompts: 6,
    heldOutPrompts: 2,
    promptTokens: 3,
    samples: 4,
    completionTokens: 8,
    evalSamples: 2,
  },
  train: { steps: 2, batchSize: 3, lr: 1e-3, warmupSteps: 0, logEvery: 1, evalEvery: 1 },
  eval: { batchSize: 16 },
});

interface Line {
  stage: string;
  step: number;
  split: string;
  metrics: Record<string, { value: number }>;
}

describe('steering comparison end to end', () => {
  it('writes report, table and metrics', async () => {
    const out = join(root, 'run');
    const outcome = await runMethod({
      method,
      config: tiny(),
      out,
      backend: 'wasm',
      seed: 0,
      logLevel: 'silent',
      handleSigint: false,
    });
    expect(outcome.status).toBe('finished');
    const metrics = outcome.eval!.metrics;
    for (const stage of ['dpo-cp', 'dpo-cptp', 'dpo-rk-cptp', 'dpo-d-cptp']) {
      for (const name of ['reward', 'kl', 'distinct', 'threeWayAccuracyRK', 'threeWayAccuracyD']) {
        expect(Number.isFinite(metrics[`${name}/${stage}`]), `${name}/${stage}`).toBe(true);
      }
    }
    expect(metrics.rewardModelAccuracy).toBeGreaterThan(0.6);

    const html = readFileSync(join(out, 'comparison.html'), 'utf8');
    expect(html).toContain('DPO-RK(CP+TP)');
    expect(html).toContain('Reward against KL');
    const table = readFileSync(join(out, 'results.txt'), 'utf8');
    for (const label of ['reference (step 0)', 'DPO(CP)', 'DPO(CP+TP)', 'DPO-RK(CP+TP)', 'DPO-D(CP+TP)']) {
      expect(table).toContain(label);
    }
    expect(table).toContain('step 2');

    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const evalSteps = lines.filter((l) => l.stage === 'dpo-rk-cptp' && l.split === 'eval').map((l) => l.step);
    expect(evalSteps).toEqual([0, 1, 2]);
    // At step 0 the policy is the reference: every held-out margin is 0.
    const zero = lines.find((l) => l.stage === 'dpo-cp' && l.step === 0)!;
    expect(Math.abs(zero.metrics.clearMarginMean.value)).toBeLessThan(1e-6);
    // DPO(CP) trains on clear pairs only; the CP+TP variants see ties.
    const tieShare = (stage: string) =>
      lines.filter((l) => l.stage === stage && l.split === 'train').map((l) => l.metrics.tieShare.value);
    expect(tieShare('dpo-cp').every((v) => v === 0)).toBe(true);
    expect(tieShare('dpo-rk-cptp').some((v) => v > 0)).toBe(true);

    const data = readFileSync(join(out, 'steering-data.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(data).toHaveLength(8);
    for (const row of data) {
      const rewards = row.samples.map((s: { reward: number }) => s.reward);
      if (row.clear) expect(rewards[row.clear[0]]).toBe(Math.max(...rewards));
      if (row.clear) expect(rewards[row.clear[1]]).toBe(Math.min(...rewards));
    }
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(memory().tensors).toBe(0);
  });
});

describe('example configs', () => {
  it('dpo-sentiment matches the demo', () => {
    const file = JSON.parse(readFileSync(join(REPO, 'examples/dpo-sentiment.json'), 'utf8'));
    const { description: _d, seed: _s, ...fields } = file;
    const example = decodeConfig(dpoTiesConfig, fields, 'dpo-ties');
    const demo = decodeConfig(dpoTiesConfig, STEERING_DEMO_CONFIG, 'dpo-ties');
    // The example trains one method; everything else is the demo's setting.
    expect(example.compare).toEqual([]);
    expect({
      ...example,
      compare: demo.compare,
      model: demo.model,
      reward: { ...example.reward, data: demo.reward.data },
    }).toEqual(demo);
  });

  it('mqm-ende decodes', () => {
    const file = JSON.parse(readFileSync(join(REPO, 'examples/mqm-ende.json'), 'utf8'));
    const { description: _d, seed: _s, ...fields } = file;
    const config = decodeConfig(dpoTiesConfig, fields, 'dpo-ties');
    expect(config.data.format).toBe('mqm');
  });
});
