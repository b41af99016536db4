// Helpers shared by the benchmark sections: timing, deterministic data, the WebGPU set-up in Node, and
// the one-line JSON protocol by which a section hands its results to run.mjs.
import { existsSync } from 'node:fs';

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Times `once` and returns the median seconds after `warmups` untimed calls. An async `once` must await
 * a data read before it resolves, so the clock stops after the GPU work and not after its enqueue.
 */
export async function timeMedian(once, { warmups = 2, runs = 5, budgetSeconds = Infinity } = {}) {
  for (let i = 0; i < warmups; i++) await once();
  const seconds = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    seconds.push((performance.now() - start) / 1000);
    // A slow backend stops after 3 samples once over budget, so the whole run stays within its limit.
    if (i >= 2 && (performance.now() - started) / 1000 > budgetSeconds) break;
  }
  return { seconds: median(seconds), samples: seconds.length };
}

/** mulberry32 uniform values in [-1, 1), so every library multiplies the same numbers. */
export function randomData(count, seed) {
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

/** Random token ids in [0, vocab). */
export function randomIds(count, vocab, seed) {
  const u = randomData(count, seed);
  return Int32Array.from(u, (x) => Math.min(vocab - 1, Math.floor(((x + 1) / 2) * vocab)));
}

/**
 * Starts Dawn (the `webgpu` package) and exposes it as `navigator.gpu`, where TF.js and jax-js look for
 * WebGPU. Uses SwiftShader's Vulkan driver when no other driver is configured. The returned object
 * must stay referenced while the GPU is in use, or Dawn's instance is collected.
 */
export async function startDawn() {
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  const gpu = create([]);
  Object.assign(globalThis, globals);
  globalThis.navigator = { gpu, userAgent: 'node' };
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (is a Vulkan driver installed?)');
  const info = adapter.info ?? {};
  const name = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim();
  return { gpu, adapter: name || 'unknown adapter' };
}

/** First line of an error's message, for "skipped (...)" notes. */
export function reason(error) {
  return String(error?.message ?? error).split('\n')[0];
}

/** Prints a section's result as the last stdout line, which run.mjs parses. */
export function emit(result) {
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
}

/** Parses a section argument such as `--backend=wasm`. */
export function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}
