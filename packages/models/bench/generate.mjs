// Generation speed of stories260K on every registered backend: greedy decoding from BOS with a KV
// cache, median tokens/s of three runs. Run after `npm run build`: node bench/generate.mjs [tokens]
import { generate } from '@lab/models';
import { loadLlama2c } from '@lab/models/node';
import { registeredBackends, useBackend } from '@lab/tensor';

const tokens = Number(process.argv[2] ?? 64);
const path = new URL('../../../data/stories260K/stories260K.bin', import.meta.url).pathname;
// The first greedy ids from the float32 NumPy reference (scripts/stories260k_reference.py).
const reference = [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338];

for (const backend of registeredBackends()) {
  useBackend(backend);
  const model = await loadLlama2c(path, { backend });
  await generate(model, [1], { maxNewTokens: 8, temperature: 0 }); // warm-up
  const rates = [];
  let output = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const result = await generate(model, [1], { maxNewTokens: tokens, temperature: 0 });
    rates.push(result.tokens.length / ((performance.now() - started) / 1000));
    output = result.tokens;
  }
  const median = rates.sort((a, b) => a - b)[1];
  const matches = reference.every((id, i) => output[i] === id);
  console.log(
    `${backend}: ${median.toFixed(1)} tokens/s (median of 3 runs of ${tokens} tokens; reference ids ${matches ? 'match' : 'DIFFER'})`,
  );
  model.dispose();
}
