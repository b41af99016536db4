// The WebGPU tests and the wasm conformance suite again, in headless Chromium (WebGPU on its
// SwiftShader adapter), with Debian's Chromium: Playwright's own browser download cannot work without a
// network. Run with `npm run test:browser`.
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

/** Cross-origin isolation, so the page has SharedArrayBuffer and the wasm backend its worker threads. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Conformance files that need Node (a child process, V8 flags) run in the Node project only. */
const NODE_ONLY = ['test/conformance/wasm-build.test.ts', 'test/conformance/wasm-relaxed.test.ts'];

export default defineConfig({
  server: { headers: ISOLATION_HEADERS },
  test: {
    include: hasChromium ? ['test/webgpu/**/*.test.ts', 'test/conformance/**/*.test.ts'] : [],
    exclude: NODE_ONLY,
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
