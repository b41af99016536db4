// f32 matmul speed of the wasm backend (one thread and all threads) beside jax-js's wasm backend and
// PyTorch with OpenBLAS, at square sizes, from the built package (run `npm run build` first):
//   node packages/tensor/bench/wasm-matmul.mjs [sizes...]          default sizes: 256 512 1024
//   node --experimental-wasm-relaxed-simd packages/tensor/bench/wasm-matmul.mjs   (fused multiply-add)
// Each number is the median of 7 timed runs after 2 warm-ups, in GFLOP/s (2 n^3 operations).
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { getBackend, randn, registerBackend, scope, WasmBackend } from '../dist/index.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [256, 512, 1024];
const WARMUP = 2;
const RUNS = 7;
const cores = availableParallelism();

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function gflops(n, seconds) {
  return (2 * n ** 3) / seconds / 1e9;
}

function timeRuns(run) {
  for (let i = 0; i < WARMUP; i++) run();
  const seconds = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
  }
  return median(seconds);
}

function ours(backend, n) {
  return scope(() => {
    const a = randn([n, n], { seed: 1, backend });
    const b = randn([n, n], { seed: 2, backend });
    return gflops(n, timeRuns(() => a.matmul(b).dispose()));
  });
}

async function jaxjs() {
  try {
    globalThis.navigator ??= { userAgent: 'node' };
    const jax = await import('@jax-js/jax');
    await jax.init();
    jax.defaultDevice('wasm');
    const np = jax.numpy;
    const result = {};
    for (const n of SIZES) {
      const data = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
      const a = np.array(data).reshape([n, n]);
      const b = np.array(data).reshape([n, n]);
      const run = async () => {
        const c = np.matmul(a.ref, b.ref);
        await c.blockUntilReady();
        c.dispose();
      };
      for (let i = 0; i < WARMUP; i++) await run();
      const seconds = [];
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        await run();
        seconds.push((performance.now() - start) / 1000);
      }
      result[n] = gflops(n, median(seconds));
      a.dispose();
      b.dispose();
    }
    return result;
  } catch (error) {
    console.log(`jax-js: skipped (${error.message.split('\n')[0]})`);
    return null;
  }
}

function pytorch() {
  const script = `
import json, sys, time, torch
torch.set_num_threads(${cores})
out = {}
for n in ${JSON.stringify(SIZES)}:
    a = torch.randn(n, n); b = torch.randn(n, n)
    for _ in range(${WARMUP}): a @ b
    times = []
    for _ in range(${RUNS}):
        t = time.perf_counter(); a @ b; times.append(time.perf_counter() - t)
    times.sort()
    out[n] = 2 * n ** 3 / times[len(times) // 2] / 1e9
import re, os
info = re.search(r"BLAS_INFO=(\\w+)", torch.__config__.show())
blas = info.group(1) if info else "unknown"
lib = os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu") if os.path.exists("/etc/alternatives/libblas.so.3-x86_64-linux-gnu") else ""
print(json.dumps({"version": torch.__version__, "blas": blas + (" -> " + lib if lib else ""), "gflops": out}))
`;
  const child = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 300_000 });
  if (child.status !== 0) {
    console.log(`pytorch: skipped (${(child.stderr || child.error?.message || 'no output').trim().split('\n').pop()})`);
    return null;
  }
  const parsed = JSON.parse(child.stdout.trim().split('\n').pop());
  console.log(`pytorch ${parsed.version} (${parsed.blas}), ${cores} threads`);
  return parsed.gflops;
}

registerBackend('wasm-1thread', () => new WasmBackend({ threads: 1 }, 'wasm-1thread'));
const threaded = getBackend('wasm');
console.log(`f32 matmul, ${cpus()[0]?.model ?? 'unknown cpu'}, ${cores} cores, node ${process.version}`);
console.log(`wasm backend: features ${[...threaded.features].join(', ')}; ${threaded.limits.threads} threads`);

const rows = SIZES.map((n) => ({ n, single: ours('wasm-1thread', n), all: ours('wasm', n) }));
const jax = await jaxjs();
const torch = pytorch();

const cell = (value) => (value === undefined || value === null ? '   -  ' : value.toFixed(1).padStart(6));
console.log('\n     n | wasm 1T | wasm all | jax-js | torch  | all/torch | all/jax-js');
for (const { n, single, all } of rows) {
  const j = jax?.[n];
  const t = torch?.[n];
  console.log(
    `${String(n).padStart(6)} | ${cell(single)}  | ${cell(all)}   | ${cell(j)} | ${cell(t)} | ${t ? (all / t).toFixed(2).padStart(9) : '        -'} | ${j ? (all / j).toFixed(2).padStart(10) : '         -'}`,
  );
}
getBackend('wasm').dispose();
getBackend('wasm-1thread').dispose();
