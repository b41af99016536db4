// The WebGPU tests again, in headless Chromium (its SwiftShader adapter), with Debian's Chromium:
// Playwright's own browser download cannot work without a network. Run with `npm run test:browser`.
import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  const message = `browser tests: no Chromium at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`;
  if (ci) throw new Error(message);
  console.warn(`${message}; skipped`);
}

/** WebGPU on, and no network: the machine has none, and Chromium otherwise keeps trying. */
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--no-sandbox',
];

export default defineConfig({
  test: {
    include: hasChromium ? ['test/webgpu/**/*.test.ts'] : [],
    passWithNoTests: !hasChromium,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.browser.json' },
    testTimeout: 60_000,
    env: { CI: ci ? 'true' : '' },
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
      instances: [{ browser: 'chromium' }],
      screenshotFailures: false,
    },
  },
});
