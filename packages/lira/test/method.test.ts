// The `lira` Method end to end at its --quick size on the cpu backend: eval.json contains every
// attack's metrics, a second run over the same store trains nothing, and the demo is registered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memory } from '@lab/tensor';
import { ConfigError, Logger, runMethod } from '@lab/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { method, QUICK_CONFIG, STATISTICS_FILE, type StatisticsFile } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('method');
afterAll(() => {
  dir.remove();
  expect(memory().tensors).toBe(0);
});

const DATA = join(import.meta.dirname, '..', '..', '..', 'data', 'wikitext-2');
const config = {
  ...QUICK_CONFIG,
  data: { ...QUICK_CONFIG.data, pool: join(DATA, 'valid.txt.gz'), pretrain: join(DATA, 'test.txt.gz') },
  audit: { ...QUICK_CONFIG.audit, store: join(dir.path, 'store') },
};
const quiet = new Logger({ consoleLevel: 'silent' });

describe('lira method', () => {
  it('quick demo runs and evaluates', async () => {
    const outcome = await runMethod({
      method,
      config,
      out: join(dir.path, 'run-1'),
      backend: 'cpu',
      seed: 0,
      handleSigint: false,
      logger: quiet,
    });
    expect(outcome.status).toBe('finished');
    const metrics = outcome.eval!.metrics;
    for (const attack of ['online', 'offline', 'loss']) {
      expect(metrics[`auc_${attack}`]).toBeGreaterThanOrEqual(0);
      expect(metrics[`auc_${attack}`]).toBeLessThanOrEqual(1);
    }
    // Base model and 6 fine-tuned models.
    expect(metrics.trainedModels).toBe(6);
    const stats = JSON.parse(readFileSync(join(outcome.runDir, STATISTICS_FILE), 'utf8')) as StatisticsFile;
    expect(stats.loss).toHaveLength(6);
    expect(stats.loss[0]).toHaveLength(64);
    expect(stats.keep[0].filter(Boolean)).toHaveLength(32);
  }, 60_000);

  it('second run reuses the store', async () => {
    const outcome = await runMethod({
      method,
      config,
      out: join(dir.path, 'run-2'),
      backend: 'cpu',
      seed: 0,
      handleSigint: false,
      logger: quiet,
    });
    expect(outcome.eval!.metrics.trainedModels).toBe(0);
    expect(outcome.eval!.metrics.reusedModels).toBe(6);
  }, 60_000);

  it('odd model count is rejected', async () => {
    const odd = { ...config, audit: { ...config.audit, models: 5 } };
    await expect(
      runMethod({
        method,
        config: odd,
        out: join(dir.path, 'run-odd'),
        backend: 'cpu',
        seed: 0,
        handleSigint: false,
        logger: quiet,
      }),
    ).rejects.toThrow(ConfigError);
  });

  it('demo lira is declared', () => {
    expect(method.demos?.map((d) => d.name)).toContain('lira');
    expect(method.demos?.[0].quickConfig).toEqual(QUICK_CONFIG);
  });
});
