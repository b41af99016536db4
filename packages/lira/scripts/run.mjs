// Runs the lira demo through the trainer's runner: node scripts/run.mjs <out-dir> [quick] [backend]

import { selectBackend } from '@lab/tensor';
import { runMethod } from '@lab/trainer';
import { method, QUICK_CONFIG } from '../dist/index.js';

const [out, mode = 'full', backend = 'wasm'] = process.argv.slice(2);
await selectBackend(backend);
const started = Date.now();
const extra = process.env.LIRA_CONFIG ? JSON.parse(process.env.LIRA_CONFIG) : {};
const config = { ...(mode === 'quick' ? QUICK_CONFIG : {}), ...extra };
const outcome = await runMethod({
  method,
  config,
  out,
  backend,
  seed: 0,
  logLevel: 'info',
  handleSigint: true,
});
console.log(JSON.stringify(outcome.eval.metrics, null, 1));
console.log('wall seconds', (Date.now() - started) / 1000);
