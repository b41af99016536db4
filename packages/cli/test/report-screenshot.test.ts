// Opens a run's report.html in headless Chromium and checks that the loss chart is drawn. The PNG
// stays in a temporary folder as an artifact (its path is printed).
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { lab, tempDir, tinyConfig, writeConfig } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; CI must install the chromium package for the report screenshot test`);

const dir = tempDir('shot');
afterAll(() => dir.remove());

describe.skipIf(!available)('report.html in Chromium', () => {
  test('loss chart svg is visible and drawn', async () => {
    const config = writeConfig(dir.path, 'tiny.json', tinyConfig({ steps: 8 }));
    const run = join(dir.path, 'run');
    const result = lab(['train', 'sft', '--config', config, '--out', run, '--backend', 'cpu', '--quiet']);
    expect(result.code, result.stderr).toBe(0);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(join(run, 'report.html')).href);
      const chart = page.locator('svg:has(path.series)').first();
      await expect(chart.isVisible()).resolves.toBe(true);
      const box = await chart.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(200);
      expect(box?.height ?? 0).toBeGreaterThan(100);
      const series = chart.locator('path.series').first();
      expect(Number(await series.getAttribute('data-points'))).toBeGreaterThan(1);
      expect((await series.getAttribute('d'))?.split('L').length ?? 0).toBeGreaterThan(1);
      const pathBox = await series.boundingBox();
      expect(pathBox?.width ?? 0).toBeGreaterThan(10);

      const artifacts = mkdtempSync(join(tmpdir(), 'lab-report-png-'));
      const png = join(artifacts, 'report.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(5000);
      console.info(`report screenshot: ${png}`);
    } finally {
      await browser.close();
    }
  });
});

test.skipIf(available)('report screenshot skipped without chromium', () => {
  console.info(`skipped: ${CHROMIUM} is not installed (apt-get install chromium); CI=true makes this a failure`);
});
