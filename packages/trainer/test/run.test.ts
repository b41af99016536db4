import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '@lab/data/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, evaluateRun, Logger, type Manifest, RunDir, RunDirError, runMethod, writeComparison } from '../src/index.js';
import { tempDir } from './helpers.js';

const quiet = new Logger({ consoleLevel: 'silent' });
const dir = tempDir('run');
const corpus = dataPath('tinyshakespeare/input.txt.gz');

export const tinyConfig = {
  model: { path: null, tokenizer: 'bytes', init: { dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, maxSeqLen: 64 } },
  data: { train: corpus, maxRows: 120, maxLength: 32, validFraction: 0.1 },
  train: { steps: 6, batchSize: 4, logEvery: 2, evalEvery: 3, evalBatches: 2, checkpointEvery: 3, warmupSteps: 1 },
  sample: { maxTokens: 6, prompts: ['ROMEO:'] },
};

let run: RunDir;

beforeAll(async () => {
  const configFile = join(dir.path, 'tiny.json');
  writeFileSync(configFile, JSON.stringify({ ...tinyConfig, seed: 2 }));
  const outcome = await runMethod({ method: 'sft', configFile, out: join(dir.path, 'a'), backend: 'cpu', logger: quiet, handleSigint: false });
  run = new RunDir(outcome.runDir);
});

afterAll(() => dir.remove());

describe('runMethod with sft', () => {
  test('run directory holds every file', () => {
    for (const name of ['config.json', 'manifest.json', 'metrics.jsonl', 'samples.jsonl', 'eval.json', 'report.html', 'run.log']) {
      expect(existsSync(run.path(name)), name).toBe(true);
    }
    expect(existsSync(join(run.checkpointDir('main'), 'step-000006', 'model.safetensors'))).toBe(true);
  });

  test('manifest records code, data, seed, backend', () => {
    const manifest = run.readJson<Manifest>('manifest')!;
    expect(manifest.status).toBe('finished');
    expect(manifest.seed).toBe(2);
    expect(manifest.backend.name).toBe('cpu');
    expect(manifest.codeVersion.length).toBeGreaterThan(0);
    const expected = createHash('sha256').update(readFileSync(corpus)).digest('hex');
    expect(manifest.data[0].sha256).toBe(expected);
    expect(manifest.commandLine.length).toBeGreaterThan(0);
  });

  test('resolved config has the defaults filled in', () => {
    const config = run.readJson<{ train: { lr: number; steps: number } }>('config')!;
    expect(config.train.steps).toBe(6);
    expect(config.train.lr).toBe(1e-3);
  });

  test('every metric carries a version', () => {
    const lines = run.readMetrics();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) for (const metric of Object.values(line.metrics)) expect(metric.version).toBeGreaterThanOrEqual(1);
  });

  test('samples at each evaluation', () => {
    expect(run.readSamples().map((s) => s.step)).toEqual([3, 6]);
  });

  test('report shows the loss curve', () => {
    const html = readFileSync(run.path('report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Loss');
    expect(html).not.toContain('http-equiv="refresh"');
  });

  test('eval reruns to the same metrics', async () => {
    const before = run.readJson<{ metrics: Record<string, number> }>('eval')!.metrics;
    const again = await evaluateRun(run.root, { logger: quiet });
    expect(again.metrics).toEqual(before);
  });

  test('comparison page names both runs', async () => {
    const second = await runMethod({ method: 'sft', config: tinyConfig, seed: 3, out: join(dir.path, 'b'), backend: 'cpu', logger: quiet, handleSigint: false });
    const out = writeComparison([run.root, second.runDir], join(dir.path, 'compare.html'));
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('>a<');
    expect(html).toContain('>b<');
  });
});

describe('runMethod resume', () => {
  test('without a config reuses the stored one', async () => {
    const outcome = await runMethod({ method: 'sft', out: run.root, resume: true, backend: 'cpu', logger: quiet, handleSigint: false });
    expect(outcome.status).toBe('finished');
    expect(run.readJson<Manifest>('manifest')!.seed).toBe(2);
    expect(run.readMetrics().filter((l) => l.split === 'train').map((l) => l.step)).toEqual([2, 4, 6]);
  });
});

describe('runMethod errors', () => {
  test('bad field is named before anything runs', async () => {
    const out = join(dir.path, 'bad');
    const error = await runMethod({ method: 'sft', config: { ...tinyConfig, train: { lr: -1 } }, out, backend: 'cpu', logger: quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe('train.lr');
    expect(error.message).toContain('"train.lr" = -1');
    expect(existsSync(out)).toBe(false);
  });

  test('existing run without resume', async () => {
    const error = await runMethod({ method: 'sft', config: tinyConfig, out: run.root, backend: 'cpu', logger: quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(RunDirError);
    expect(error.message).toMatch(/--resume/);
  });

  test('resume with another config names the field', async () => {
    const error = await runMethod({ method: 'sft', config: { ...tinyConfig, data: { ...tinyConfig.data, maxLength: 16 } }, out: run.root, resume: true, backend: 'cpu', logger: quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(RunDirError);
    expect(error.message).toContain('data.maxLength');
  });
});
