// CPU-backend matmul speed at square sizes, from the built package (run `npm run build` first):
//   node packages/tensor/bench/matmul.mjs [sizes...]     default sizes: 256 512
// Prints the median of 5 timed runs after one warm-up, in GFLOP/s (2 n^3 floating-point operations).
import { cpus } from 'node:os';
import { randn, scope } from '../dist/index.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const runs = 5;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(`cpu backend matmul, f32, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
for (const n of sizes.length > 0 ? sizes : [256, 512]) {
  const seconds = [];
  scope(() => {
    const a = randn([n, n], { seed: 1 });
    const b = randn([n, n], { seed: 2 });
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      a.matmul(b).dispose();
      if (i > 0) seconds.push((performance.now() - start) / 1000);
    }
  });
  const gflops = (2 * n ** 3) / median(seconds) / 1e9;
  console.log(`n=${n}: ${gflops.toFixed(3)} GFLOP/s (median ${(median(seconds) * 1000).toFixed(1)} ms)`);
}
