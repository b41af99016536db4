// One library's f32 matmul speed, one process per library so worker threads and GPU devices of one do
// not run beside another's:   node src/matmul.mjs --lib=lab-wasm
// Cases: square n x n at 256, 512, 1024 and an attention-shaped batch (32, 64, 32) x (32, 32, 64), i.e.
// (batch 8 * heads 4, T 64, head size 32). Each sample repeats the product until it holds at least
// ~60 MFLOP, so the small cases are not dominated by the clock; result in GFLOP/s.
import { arg, emit, randomData, reason, startDawn, timeMedian } from './common.mjs';

export const CASES = [
  { name: '256', a: [256, 256], b: [256, 256] },
  { name: '512', a: [512, 512], b: [512, 512] },
  { name: '1024', a: [1024, 1024], b: [1024, 1024] },
  { name: 'attn 32x(64x32 @ 32x64)', a: [32, 64, 32], b: [32, 32, 64] },
];

export function flopsOf(c) {
  const batch = c.a.length === 3 ? c.a[0] : 1;
  const [m, k] = c.a.slice(-2);
  return 2 * batch * m * k * c.b[c.b.length - 1];
}

const size = (shape) => shape.reduce((x, y) => x * y, 1);

/** Each library: its set-up, and per case a `{ once, done }` where `once` multiplies and synchronises. */
const LIBS = {
  'lab-cpu': () => labRunner('cpu', ['256', '512']),
  'lab-wasm1': () => labRunner('wasm-1thread', null),
  'lab-wasm': () => labRunner('wasm', null),
  'lab-webgpu': () => labRunner('webgpu', null),
  'tfjs-cpu': () => tfjsRunner('cpu'),
  'tfjs-webgpu': () => tfjsRunner('webgpu'),
  'jax-wasm': () => jaxRunner('wasm'),
  'jax-webgpu': () => jaxRunner('webgpu'),
};

async function labRunner(backend, only) {
  let info = {};
  if (backend === 'webgpu') info = { adapter: (await startDawn()).adapter };
  const lab = await import('@lab/tensor');
  if (backend === 'wasm-1thread') {
    lab.registerBackend('wasm-1thread', () => new lab.WasmBackend({ threads: 1 }, 'wasm-1thread'));
  }
  if (backend === 'webgpu') await lab.initWebGPU();
  const b = lab.getBackend(backend);
  if (b.limits?.threads) info.threads = b.limits.threads;
  if (b.features) info.features = [...b.features].join(', ');
  return {
    info,
    only,
    setup: (c, reps) => {
      const x = lab.fromArray(randomData(size(c.a), 1), c.a, { backend });
      const y = lab.fromArray(randomData(size(c.b), 2), c.b, { backend });
      return {
        once: async () => {
          let last;
          for (let r = 0; r < reps; r++) {
            last?.dispose();
            last = x.matmul(y);
          }
          await last.data();
          last.dispose();
        },
        done: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

async function tfjsRunner(backend) {
  let info = {};
  if (backend === 'webgpu') info = { adapter: (await startDawn()).adapter };
  const tf = await import('@tensorflow/tfjs-core');
  await import(`@tensorflow/tfjs-backend-${backend}`);
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
  await tf.ready();
  info.version = tf.version_core;
  return {
    info,
    setup: (c, reps) => {
      const x = tf.tensor(randomData(size(c.a), 1), c.a);
      const y = tf.tensor(randomData(size(c.b), 2), c.b);
      return {
        once: async () => {
          let last;
          for (let r = 0; r < reps; r++) {
            last?.dispose();
            last = tf.matMul(x, y);
          }
          await last.data();
          last.dispose();
        },
        done: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

async function jaxRunner(device) {
  let info = {};
  if (device === 'webgpu') info = { adapter: (await startDawn()).adapter };
  else globalThis.navigator ??= { userAgent: 'node' };
  const jax = await import('@jax-js/jax');
  const devices = await jax.init(device);
  if (!devices.includes(device)) throw new Error(`jax.init('${device}') gave [${devices.join(', ')}]`);
  jax.defaultDevice(device);
  const np = jax.numpy;
  return {
    info,
    setup: (c, reps) => {
      const x = np.array(randomData(size(c.a), 1), { shape: c.a, device });
      const y = np.array(randomData(size(c.b), 2), { shape: c.b, device });
      return {
        // jax-js consumes its arguments: .ref keeps x and y alive for the next product
        once: async () => {
          let last;
          for (let r = 0; r < reps; r++) {
            last?.dispose();
            last = np.matmul(x.ref, y.ref);
          }
          await last.data();
        },
        done: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

async function main() {
  const lib = arg('lib');
  const make = LIBS[lib];
  if (!make) throw new Error(`unknown --lib=${lib}; expected one of ${Object.keys(LIBS).join(', ')}`);
  let runner;
  try {
    runner = await make();
  } catch (error) {
    emit({ lib, skipped: reason(error) });
    return;
  }
  const gflops = {};
  const notes = {};
  // SwiftShader emulates the GPU on the CPU at well under 1 GFLOP/s, so 1024 would take minutes.
  const emulated = /swiftshader/i.test(runner.info.adapter ?? '');
  const only = runner.only ?? (emulated ? ['256', '512', CASES[3].name] : null);
  for (const c of CASES) {
    if (only && !only.includes(c.name)) {
      notes[c.name] = emulated && !runner.only ? 'not run on an emulated (SwiftShader) adapter' : 'not run (slow reference)';
      continue;
    }
    const reps = Math.max(1, Math.ceil(60e6 / flopsOf(c)));
    try {
      const { once, done } = runner.setup(c, reps);
      const { seconds, samples } = await timeMedian(once, { warmups: emulated ? 1 : 2, runs: 5, budgetSeconds: emulated ? 8 : 20 });
      done();
      gflops[c.name] = (flopsOf(c) * reps) / seconds / 1e9;
      notes[c.name] = `${samples} samples x ${reps} products`;
    } catch (error) {
      notes[c.name] = `failed: ${reason(error)}`;
    }
  }
  emit({ lib, info: runner.info, gflops, notes });
  process.exit(0); // wasm workers and Dawn keep the event loop alive
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
