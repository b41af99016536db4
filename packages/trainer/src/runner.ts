/**
 * `runMethod`: what `lab train` does. Resolves the method and its configuration (decoded before
 * anything runs), picks the backend, prepares the run directory (config.json, manifest.json, log),
 * runs the recipe with SIGINT turned into a checkpoint-and-exit, evaluates, and writes eval.json and
 * the final report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, registeredBackends, selectBackend as selectTensorBackend, useBackend } from '@lab/tensor';
import type { Module } from '@lab/tensor';
import { decodeConfig } from './config.js';
import { createContext, type DataRecord, defaultCacheDir, type MethodContext } from './context.js';
import { BackendChoiceError, ConfigError, InterruptedError, PathError, RunDirError } from './errors.js';
import { searchRoots } from './inputs.js';
import { Logger, type LogLevel } from './logger.js';
import type { AnyMethod, EvalResult } from './method.js';
import { findMethod } from './registry.js';
import { type EvalFile, type Manifest, type RunStatus, writeRunReport } from './report.js';
import { RunDir } from './run-dir.js';

/** Keys of a config file that belong to the runner, not to the method. */
const RUNNER_KEYS = ['method', 'seed', 'backend', 'name', '$schema', 'description'] as const;

export interface RunOptions {
  /** Method name or value. */
  method: string | AnyMethod;
  /** JSON config file; its runner keys (method, seed, backend) apply when not given here. */
  configFile?: string | null;
  /** Configuration object, merged over the file's. */
  config?: Record<string, unknown>;
  /** Run directory (default runs/<method>-<date>-<time>). */
  out?: string | null;
  backend?: string;
  seed?: number | null;
  steps?: number | null;
  resume?: boolean;
  logLevel?: LogLevel;
  /** Recorded in the manifest (default process.argv). */
  commandLine?: string[];
  /** Handle SIGINT by checkpointing and exiting (default true). */
  handleSigint?: boolean;
  logger?: Logger;
}

export interface RunOutcome {
  runDir: string;
  status: RunStatus;
  eval: EvalResult | null;
  config: unknown;
}

function readConfigFile(path: string, method: string): Record<string, unknown> {
  if (!existsSync(path)) throw new PathError('--config', path, 'does not exist');
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the top level is not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(method, [{ field: '(file)', value: path, detail: `is not a JSON object (${(error as Error).message})` }], path);
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Backends registered in this process, the CPU paths last. */
export function backendCandidates(): string[] {
  const registered = registeredBackends();
  return [...registered.filter((n) => n !== 'wasm' && n !== 'cpu'), ...['wasm', 'cpu'].filter((n) => registered.includes(n))];
}

export interface BackendSelection {
  backend: string;
  reason: string;
}

/**
 * Starts the named backend and makes it current. `auto` takes a hardware WebGPU adapter when there is
 * one, else wasm when it is registered, else cpu (through @lab/tensor's selectBackend).
 */
export async function selectBackend(name: string, log?: Logger): Promise<BackendSelection> {
  const known = ['auto', 'cpu', 'wasm', 'webgpu', ...registeredBackends()];
  if (!known.includes(name)) throw new BackendChoiceError(name, backendCandidates(), 'is not a backend name');
  try {
    const selection = await selectTensorBackend(name, { log: (line) => log?.debug(line) });
    getBackend(selection.backend);
    return { backend: selection.backend, reason: selection.reason };
  } catch (error) {
    if (name === 'auto') {
      useBackend('cpu');
      return { backend: 'cpu', reason: `auto selection failed (${(error as Error).message.split('\n')[0]})` };
    }
    throw new BackendChoiceError(name, backendCandidates(), `cannot start (${(error as Error).message.split('\n')[0]})`);
  }
}

/** `git describe` of the working tree, or the trainer's package version outside a repository. */
export function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--tags'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    const manifest = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');
    return `@lab/trainer@${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version}`;
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The newest run directory of a method under runs/, for --resume without --out. */
function newestRun(method: string): string | null {
  const root = resolve('runs');
  if (!existsSync(root)) return null;
  const candidates = readdirSync(root)
    .filter((name) => name.startsWith(`${method}-`))
    .map((name) => join(root, name))
    .filter((path) => existsSync(join(path, 'config.json')))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return candidates[0] ?? null;
}

function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b as object)])) {
      const diff = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (diff) return diff;
    }
  }
  return path || '(root)';
}

/** Resolves the method, configuration, run directory and backend; nothing is written yet. */
export async function prepareRun(options: RunOptions): Promise<{ method: AnyMethod; config: unknown; raw: Record<string, unknown>; run: RunDir; backend: string; seed: number; configFile: string | null }> {
  const method = typeof options.method === 'string' ? await findMethod(options.method) : options.method;
  const configFile = options.configFile ? resolve(options.configFile) : null;
  const fileConfig = configFile ? readConfigFile(configFile, method.name) : {};
  const runner = Object.fromEntries(RUNNER_KEYS.map((k) => [k, fileConfig[k]]));
  if (runner.method !== undefined && runner.method !== method.name) {
    throw new ConfigError(method.name, [{ field: 'method', value: runner.method, detail: `the config file is for method "${String(runner.method)}"; run \`lab train ${String(runner.method)}\` or fix the file` }], configFile ?? 'config');
  }
  const methodConfig = Object.fromEntries(Object.entries(fileConfig).filter(([k]) => !(RUNNER_KEYS as readonly string[]).includes(k)));
  const raw = deepMerge(methodConfig, options.config ?? {});
  const given = configFile !== null || options.config !== undefined;
  if (options.steps != null && !(Number.isInteger(options.steps) && options.steps >= 1)) {
    throw new ConfigError(method.name, [{ field: '--steps', value: options.steps, detail: 'must be a positive integer' }], 'command line');
  }

  let out = options.out ?? (typeof runner.name === 'string' ? join('runs', runner.name) : null);
  if (!out && options.resume) {
    out = newestRun(method.name);
    if (!out) throw new RunDirError('runs/', `no earlier run of ${method.name} to resume; pass --out <run dir>`);
  }
  const run = new RunDir(out ?? join('runs', `${method.name}-${timestamp()}`));
  const stored = run.readJson<unknown>('config');
  const storedManifest = run.readJson<Manifest>('manifest');
  if (stored !== null && !options.resume) throw new RunDirError(run.root, 'already holds a run; pass --resume to continue it or choose another --out');

  // Resuming without a configuration reuses the stored one; with one, it must be the same.
  const config = stored !== null && !given ? decodeConfig(method.config, stored, method.name, run.path('config.json')) : decodeConfig(method.config, raw, method.name, configFile ?? 'config');
  if (stored !== null && given) {
    const diff = firstDifference(stored, config);
    if (diff) throw new RunDirError(run.root, `was run with a different configuration (field "${diff}" differs); resume with the same config or choose another --out`);
  }

  const seed = options.seed ?? (typeof runner.seed === 'number' ? runner.seed : (storedManifest?.seed ?? 0));
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError(method.name, [{ field: 'seed', value: seed, detail: 'must be a non-negative integer' }], configFile ?? 'config');
  const rootsFile = configFile ?? storedManifest?.configFile ?? null;
  const backendName = options.backend ?? (typeof runner.backend === 'string' ? runner.backend : 'auto');
  const { backend } = await selectBackend(backendName, options.logger);
  return { method, config, raw, run, backend, seed, configFile: rootsFile };
}

/** Runs a method end to end; see the module comment. */
export async function runMethod(options: RunOptions): Promise<RunOutcome> {
  const { method, config, run, backend, seed, configFile } = await prepareRun(options);
  run.ensure();
  const log = options.logger ?? new Logger({ consoleLevel: options.logLevel ?? 'info' });
  log.attachFile(run.path('run.log'));
  const resuming = options.resume === true && run.has('manifest');

  const previous = resuming ? run.readJson<Manifest>('manifest') : null;
  // A resumed run keeps the step count it was started with unless --steps gives a new one.
  const steps = options.steps ?? previous?.stepsOverride ?? null;
  const data: DataRecord[] = [];
  const limits = getBackend(backend).limits;
  const manifest: Manifest = {
    format: 'lab-run',
    version: 1,
    method: method.name,
    methodPackage: null,
    status: 'running',
    error: null,
    codeVersion: codeVersion(),
    seed,
    backend: { name: backend, limits: { ...limits }, features: [...getBackend(backend).features] },
    commandLine: options.commandLine ?? process.argv,
    configFile,
    node: process.version,
    data,
    startedAt: previous?.startedAt ?? new Date().toISOString(),
    finishedAt: null,
    stepsOverride: steps,
  };
  const writeManifest = () => run.writeJson('manifest', manifest);
  run.writeJson('config', config);
  writeManifest();
  log.info(`${resuming ? 'resuming' : 'starting'} ${method.name}`, { run: run.root, backend, seed, config: configFile ?? 'defaults' });

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) {
      log.warn('second interrupt; exiting without a checkpoint');
      process.exit(130);
    }
    log.warn('interrupt received; saving a checkpoint at the end of this step (press Ctrl-C again to quit now)');
    controller.abort();
  };
  if (options.handleSigint ?? true) process.on('SIGINT', onSigint);

  const owned: Module[] = [];
  // Rendering reads the whole metrics file, so a fast loop refreshes the page at most every 5 s.
  let lastReport = 0;
  const refreshReport = async () => {
    if (performance.now() - lastReport < 5000) return;
    lastReport = performance.now();
    writeRunReport(run, true);
  };
  const ctx = createContext({
    method: method.name,
    config,
    seed,
    backend,
    run,
    log,
    signal: controller.signal,
    resume: options.resume === true,
    stepsOverride: steps,
    cacheDir: defaultCacheDir(run.root),
    roots: searchRoots(configFile),
    onData: (record) => {
      if (!data.some((d) => d.name === record.name && d.sha256 === record.sha256)) data.push(record);
      writeManifest();
    },
    refreshReport,
    owned,
  });

  try {
    await method.run(ctx);
    const result = method.evaluate ? await evaluateWith(method, ctx) : null;
    manifest.status = 'finished';
    manifest.finishedAt = new Date().toISOString();
    writeManifest();
    writeRunReport(run, false);
    log.info(`finished ${method.name}`, { run: run.root, report: run.path('report.html') });
    return { runDir: run.root, status: 'finished', eval: result, config };
  } catch (error) {
    const interrupted = error instanceof InterruptedError;
    manifest.status = interrupted ? 'interrupted' : 'failed';
    manifest.error = (error as Error).message;
    writeManifest();
    writeRunReport(run, false);
    log.error((error as Error).message, { run: run.root });
    throw error;
  } finally {
    if (options.handleSigint ?? true) process.off('SIGINT', onSigint);
    for (const model of owned) if (!model.isDisposed) model.dispose();
  }
}

async function evaluateWith(method: AnyMethod, ctx: MethodContext<unknown>): Promise<EvalResult> {
  const result = await method.evaluate!(ctx);
  const file: EvalFile = { ...result, method: method.name, evaluatedAt: new Date().toISOString() };
  ctx.run.writeJson('eval', file);
  ctx.log.info('evaluation', result.metrics);
  return result;
}

/**
 * `lab eval <run-dir>`: re-runs the method's evaluation on a finished (or stopped) run, from its
 * stored configuration and newest checkpoints, and rewrites eval.json and the report.
 */
export async function evaluateRun(runDir: string, options: { backend?: string; logLevel?: LogLevel; logger?: Logger } = {}): Promise<EvalResult> {
  const run = new RunDir(runDir);
  const manifest = run.readJson<Manifest>('manifest');
  const config = run.readJson<unknown>('config');
  if (!manifest || config === null) throw new RunDirError(run.root, 'has no manifest.json or config.json; pass a directory written by `lab train`');
  const method = await findMethod(manifest.method);
  if (!method.evaluate) throw new RunDirError(run.root, `method ${method.name} has no evaluation`);
  const decoded = decodeConfig(method.config, config, method.name, run.path('config.json'));
  const { backend } = await selectBackend(options.backend ?? manifest.backend.name, options.logger);
  const log = options.logger ?? new Logger({ consoleLevel: options.logLevel ?? 'info' });
  log.attachFile(run.path('run.log'));
  const owned: Module[] = [];
  const ctx = createContext({
    method: method.name,
    config: decoded,
    seed: manifest.seed,
    backend,
    run,
    log,
    signal: new AbortController().signal,
    resume: true,
    stepsOverride: manifest.stepsOverride,
    cacheDir: defaultCacheDir(run.root),
    roots: searchRoots(manifest.configFile ?? null),
    onData: () => {},
    refreshReport: async () => {},
    owned,
  });
  try {
    const result = await evaluateWith(method, ctx);
    writeRunReport(run, false);
    return result;
  } finally {
    for (const model of owned) if (!model.isDisposed) model.dispose();
  }
}
