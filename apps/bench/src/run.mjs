// `npm run bench`: every section of the benchmark in one run, each library in its own process, then
// bench/results/<date>-<machine>.json and docs/benchmarks.md. A section that is missing, fails or
// times out is recorded as skipped with its reason (see `section` and `python`), so the run goes on.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASES, flopsOf } from './matmul.mjs';
import { DPO_CONFIG, GENERATE_TOKENS, TRAIN_CONFIG } from './models.mjs';
import { writeReport } from './report.mjs';

const APP = new URL('..', import.meta.url).pathname;
const ROOT = new URL('../../..', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
const started = performance.now();

function log(line) {
  const at = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${at}s] ${line}`);
}

/** Runs a command, resolves with its stdout, stderr and status; kills it after `seconds`. */
function exec(command, args, seconds) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: APP, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
    child.on('error', (error) => resolve({ stdout, stderr: String(error.message), status: -1 }));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: signal === 'SIGKILL' ? `timed out after ${seconds} s` : stderr, status });
    });
  });
}

/** Runs a section script and returns its @@RESULT object, or `{ skipped }` with the reason. */
async function section(script, args, seconds) {
  const { stdout, stderr, status } = await exec(process.execPath, [script, ...args], seconds);
  const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (line) return JSON.parse(line.slice(9));
  const lastError = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit status ${status}`;
  return { skipped: lastError };
}

async function python(args, seconds) {
  const { stdout, stderr, status } = await exec(PYTHON, args, seconds);
  if (status === 0) return JSON.parse(stdout.trim().split('\n').pop());
  return { skipped: (stderr.trim().split('\n').pop() ?? '') || `exit status ${status}` };
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** This CPU's f32 FMA rate, from apps/bench/fma_peak.c compiled here with -march=native. */
function fmaPeak() {
  const exe = join(tmpdir(), `lab-fma-peak-${process.pid}`);
  const cc = spawnSync('gcc', ['-O3', '-march=native', '-fopenmp', join(APP, 'fma_peak.c'), '-o', exe], { encoding: 'utf8' });
  if (cc.status !== 0) return { skipped: `gcc failed: ${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]}` };
  const run = spawnSync(exe, { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return { skipped: `fma_peak failed: ${(run.stderr || '').trim()}` };
  const result = JSON.parse(run.stdout);
  // Other work on the machine lowers the all-threads figure, so one core's rate times the core count
  // stands in as the nominal peak when it is larger.
  result.peakGflops = Math.max(result.gflopsAllThreads, result.gflopsOneThread * result.threads);
  return result;
}

const MATMUL_LIBS = ['lab-cpu', 'lab-wasm1', 'lab-wasm', 'lab-webgpu', 'tfjs-cpu', 'tfjs-webgpu', 'jax-wasm', 'jax-webgpu'];
const BACKENDS = ['cpu', 'wasm', 'webgpu'];
// Seconds one model section may take per backend, so the run stays under 15 minutes on a small machine
// where webgpu is SwiftShader (the GPU emulated on the CPU).
const LIMIT = { cpu: 120, wasm: 90, webgpu: 130 };

async function matmuls() {
  const out = {};
  for (const lib of MATMUL_LIBS) {
    log(`matmul ${lib}`);
    out[lib] = await section('src/matmul.mjs', [`--lib=${lib}`], 120);
    if (out[lib].skipped) log(`  ${lib}: skipped (${out[lib].skipped})`);
  }
  log('matmul pytorch');
  out.pytorch = await python(['torch_bench.py', 'matmul'], 180);
  if (out.pytorch.skipped) log(`  pytorch: skipped (${out.pytorch.skipped})`);
  return out;
}

async function training() {
  const weights = join(tmpdir(), `lab-bench-gpt-${process.pid}`);
  const out = {};
  for (const backend of BACKENDS) {
    log(`train ${backend}`);
    out[backend] = await section('src/models.mjs', ['--task=train', `--backend=${backend}`], LIMIT[backend]);
  }
  log('train pytorch');
  const exported = await section('src/models.mjs', ['--task=export', `--out=${weights}`], 60);
  out.pytorch = exported.skipped ? exported : await python(['torch_bench.py', 'train', weights], 150);
  out['jax-js'] = {
    skipped:
      'jax-js 0.1.25 has grad and numpy ops, but this benchmark has no GPT with AdamW written against it yet ' +
      '(its layers and optimizer would have to match ours by hand)',
  };
  return out;
}

async function perBackend(task) {
  const out = {};
  for (const backend of BACKENDS) {
    log(`${task} ${backend}`);
    out[backend] = await section('src/models.mjs', [`--task=${task}`, `--backend=${backend}`], LIMIT[backend]);
    if (out[backend].skipped) log(`  ${backend}: skipped (${out[backend].skipped})`);
  }
  return out;
}

function machine() {
  const torch = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return {
    hostname: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    peers: {
      pytorch: torch.status === 0 ? torch.stdout.trim() : null,
      '@tensorflow/tfjs-core': packageVersion('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-backend-cpu': packageVersion('@tensorflow/tfjs-backend-cpu'),
      '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
      '@jax-js/jax': packageVersion('@jax-js/jax'),
      webgpu: packageVersion('webgpu'),
    },
  };
}

async function main() {
  const date = new Date().toISOString();
  const result = {
    date,
    command: 'npm run bench',
    machine: machine(),
    loadAverageStart: loadavg(),
    configs: { matmulCases: CASES.map((c) => ({ ...c, flops: flopsOf(c) })), train: TRAIN_CONFIG, dpo: DPO_CONFIG, generateTokens: GENERATE_TOKENS },
  };
  log(`${result.machine.cpu}, ${result.machine.cores} cores, load ${result.loadAverageStart.map((x) => x.toFixed(2)).join(' ')}`);
  log('fma peak');
  result.peak = fmaPeak();
  result.matmul = await matmuls();
  result.train = await training();
  result.dpo = await perBackend('dpo');
  result.generate = await perBackend('generate');
  result.loadAverageEnd = loadavg();
  result.wallSeconds = (performance.now() - started) / 1000;

  const name = `${date.slice(0, 10)}-${result.machine.hostname.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', name), `${JSON.stringify(result, null, 2)}\n`);
  const markdown = writeReport(result, `bench/results/${name}`);
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), markdown);
  console.log(`\n${markdown}`);
  log(`wrote bench/results/${name} and docs/benchmarks.md`);
}

await main();
