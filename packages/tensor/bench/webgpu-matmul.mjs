// WebGPU matmul speed of this package's kernels next to TF.js 4.22's WebGPU backend and jax-js
// 0.1.25's webgpu device, all on the same Dawn adapter in one process. Build first:
//   npm run build -w @lab/tensor && node packages/tensor/bench/webgpu-matmul.mjs [sizes...]
// Default sizes 256 512. Each timing is one f32 n x n matmul plus the read of its result, the median
// of 5 runs after 2 warm-ups (which compile the kernels), in GFLOP/s (2 n^3 operations).
import { existsSync } from 'node:fs';

// Before Dawn starts: SwiftShader's Vulkan driver when no other is configured (as the test setup does).
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD))
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const { create, globals } = await import('webgpu');
const lab = await import('../dist/index.js');

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const WARMUPS = 2;
const RUNS = 5;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function randomData(count, seed) {
  // mulberry32, so every library multiplies the same numbers
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Median seconds of `once()`, an async matmul plus read, after warm-ups. */
async function time(once) {
  for (let i = 0; i < WARMUPS; i++) await once();
  const seconds = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await once();
    seconds.push((performance.now() - start) / 1000);
  }
  return median(seconds);
}

async function labRunner() {
  const backend = await lab.initWebGPU();
  const info = backend.adapter;
  return {
    name: '@lab/tensor webgpu',
    adapter: `${info.vendor} ${info.architecture} ${info.description}${info.isFallbackAdapter ? ' (fallback adapter)' : ''}`,
    setup: (n) => {
      const a = lab.fromArray(randomData(n * n, 1), [n, n], { backend: 'webgpu' });
      const b = lab.fromArray(randomData(n * n, 2), [n, n], { backend: 'webgpu' });
      return {
        once: async () => {
          const c = a.matmul(b);
          await c.data();
          c.dispose();
        },
        done: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

async function tfjsRunner() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  return {
    name: 'TF.js 4.22 webgpu',
    setup: (n) => {
      const a = tf.tensor2d(randomData(n * n, 1), [n, n]);
      const b = tf.tensor2d(randomData(n * n, 2), [n, n]);
      return {
        once: async () => {
          const c = tf.matMul(a, b);
          await c.data();
          c.dispose();
        },
        done: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

async function jaxRunner() {
  const jax = await import('@jax-js/jax');
  const devices = await jax.init('webgpu');
  if (!devices.includes('webgpu'))
    throw new Error(`init('webgpu') returned devices [${devices.join(', ')}], without webgpu`);
  const np = jax.numpy;
  return {
    name: 'jax-js 0.1.25 webgpu',
    setup: (n) => {
      const a = np.array(randomData(n * n, 1), { shape: [n, n], device: 'webgpu' });
      const b = np.array(randomData(n * n, 2), { shape: [n, n], device: 'webgpu' });
      return {
        // jax-js consumes its arguments: .ref keeps a and b for the next run
        once: async () => {
          const c = np.matmul(a.ref, b.ref);
          await c.data();
        },
        done: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

// TF.js and jax-js find WebGPU through navigator.gpu. Dawn's object must stay referenced while in use.
const gpu = create([]);
Object.assign(globalThis, globals);
globalThis.navigator = { gpu, userAgent: 'node' };

console.log(`f32 matmul on WebGPU, node ${process.version}, median of ${RUNS} runs (matmul + read), GFLOP/s`);
const results = [];
for (const make of [labRunner, tfjsRunner, jaxRunner]) {
  let runner;
  try {
    runner = await make();
  } catch (error) {
    console.log(`${make.name.replace('Runner', '')}: skipped (${error.message})`);
    continue;
  }
  if (runner.adapter) console.log(`adapter: ${runner.adapter}`);
  const row = { name: runner.name };
  for (const n of sizes.length > 0 ? sizes : [256, 512]) {
    try {
      const { once, done } = runner.setup(n);
      const seconds = await time(once);
      done();
      row[n] = (2 * n ** 3) / seconds / 1e9;
    } catch (error) {
      console.log(`${runner.name} n=${n}: failed (${error.message})`);
      row[n] = Number.NaN;
    }
  }
  results.push(row);
}
for (const row of results) {
  const cells = Object.entries(row)
    .filter(([key]) => key !== 'name')
    .map(([n, gflops]) => `n=${n}: ${Number.isNaN(gflops) ? 'failed' : gflops.toFixed(3)}`);
  console.log(`${row.name.padEnd(24)} ${cells.join('   ')}`);
}
gpu.toString();
