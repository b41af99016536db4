// The committed kernel module must be what scripts/build-wasm.mjs builds from scripts/wasm/*.mjs today.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('generated kernel module is fresh', () => {
  const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
  const child = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
});
