// Runs SimNPO alone with the official TOFU forget10 settings (beta 4.5, gamma 0, w_f 0.125, w_r 1) on
// the fixture model, to show that its forget term is saturated at this scale. From the repository root:
//   node packages/simnpo/scripts/paper-defaults.mjs [out-dir]
import { runMethod } from '@lab/trainer';
import { method } from '../dist/index.js';

const outcome = await runMethod({
  method,
  config: { algorithms: ['simnpo'] },
  out: process.argv[2] ?? null,
  backend: 'wasm',
  logLevel: 'info',
});
console.log(outcome.runDir, JSON.stringify(outcome.eval?.metrics));
