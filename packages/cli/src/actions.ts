/**
 * The `lab` commands as plain async functions (the Promise API). The Effect commands in commands.ts
 * parse the command line and call these.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { formatReport, type KindName, kindNames } from '@lab/data';
import { checkData } from '@lab/data/node';
import { getBackend, initWebGPU, registeredBackends } from '@lab/tensor';
import {
  type EvalResult,
  evaluateRun,
  generateText,
  listDemos,
  listMethods,
  Logger,
  type LogLevel,
  loadLanguageModel,
  loadTokenizer,
  type Manifest,
  PathError,
  resolveInput,
  RunDir,
  type RunOutcome,
  runMethod,
  selectBackend,
  writeComparison,
  writeRunReport,
} from '@lab/trainer';

/** Output streams of a command; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export interface BackendInfo {
  name: string;
  available: boolean;
  /** Reason the backend cannot start, or null when it can. */
  error: string | null;
  limits: Record<string, number>;
  features: string[];
  dtypes: string[];
  /** The WebGPU adapter, when there is one. */
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null;
}

export interface InfoResult {
  version: string;
  node: string;
  backends: BackendInfo[];
  methods: { name: string; summary: string; source: string }[];
}

function cliVersion(): string {
  const manifest = join(dirname(new URL(import.meta.url).pathname), '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Backends and their limits; WebGPU is probed by acquiring a device. */
export async function info(): Promise<InfoResult> {
  const names = [...new Set([...registeredBackends(), 'webgpu'])];
  const backends: BackendInfo[] = [];
  for (const name of names) {
    try {
      const backend = name === 'webgpu' && !registeredBackends().includes('webgpu') ? await initWebGPU() : getBackend(name);
      const adapter = (backend as { adapter?: BackendInfo['adapter'] }).adapter ?? null;
      backends.push({ name, available: true, error: null, limits: { ...backend.limits }, features: [...backend.features], dtypes: [...backend.dtypes], adapter });
    } catch (error) {
      backends.push({ name, available: false, error: (error as Error).message.split('\n')[0], limits: {}, features: [], dtypes: [], adapter: null });
    }
  }
  const methods = (await listMethods()).map(({ method, source }) => ({ name: method.name, summary: method.summary, source }));
  return { version: cliVersion(), node: process.version, backends, methods };
}

export function formatInfo(result: InfoResult): string {
  const lines = [`lab ${result.version} on Node ${result.node}`, '', 'backends:'];
  for (const b of result.backends) {
    if (!b.available) {
      lines.push(`  ${b.name.padEnd(7)} unavailable: ${b.error}`);
      continue;
    }
    const adapter = b.adapter ? ` adapter: ${[b.adapter.vendor, b.adapter.architecture, b.adapter.description].filter(Boolean).join(' / ')}${b.adapter.isFallbackAdapter ? ' (software fallback)' : ''}` : '';
    lines.push(`  ${b.name.padEnd(7)} available, dtypes ${b.dtypes.join(' ')}${adapter}`);
    for (const [k, v] of Object.entries(b.limits)) lines.push(`          ${k} = ${v}`);
  }
  lines.push('', 'methods:');
  for (const m of result.methods) lines.push(`  ${m.name.padEnd(10)} ${m.summary} (${m.source})`);
  return `${lines.join('\n')}\n`;
}

export interface TrainOptions {
  method: string;
  config?: string | null;
  out?: string | null;
  backend?: string;
  seed?: number | null;
  steps?: number | null;
  resume?: boolean;
  logLevel?: LogLevel;
}

export async function train(options: TrainOptions): Promise<RunOutcome> {
  return runMethod({
    method: options.method,
    configFile: options.config ?? null,
    out: options.out ?? null,
    backend: options.backend ?? 'auto',
    seed: options.seed ?? null,
    steps: options.steps ?? null,
    resume: options.resume ?? false,
    logLevel: options.logLevel ?? 'info',
  });
}

export interface GenerateOptions {
  model: string;
  tokenizer?: string | null;
  prompt?: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  backend?: string;
}

/** The run directory above a checkpoint or run path, found by its manifest.json. */
function enclosingRun(path: string): string | null {
  let dir = resolve(path);
  for (let up = 0; up < 4; up++) {
    if (existsSync(join(dir, 'manifest.json')) && existsSync(join(dir, 'config.json'))) return dir;
    dir = dirname(dir);
  }
  return null;
}

/**
 * The tokenizer of a model: --tokenizer when given; for a checkpoint or run, the one its run was
 * trained with; for a llama2.c .bin, the single tok*.bin beside it.
 */
export function findTokenizer(modelPath: string, given: string | null | undefined): { spec: string; roots: string[] } {
  if (given) return { spec: given, roots: [process.cwd()] };
  const run = enclosingRun(modelPath);
  if (run) {
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model?: { tokenizer?: string } };
    const manifest = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')) as Manifest;
    if (config.model?.tokenizer) {
      const roots = [manifest.configFile ? dirname(manifest.configFile) : null, process.cwd()].filter((r): r is string => r !== null);
      return { spec: config.model.tokenizer, roots };
    }
  }
  const path = resolve(modelPath);
  if (existsSync(path) && statSync(path).isFile()) {
    const beside = readdirSync(dirname(path)).filter((name) => /^tok.*\.bin$/.test(name));
    if (beside.length === 1) return { spec: join(dirname(path), beside[0]), roots: [process.cwd()] };
  }
  throw new PathError('--tokenizer', '', `no tokenizer found for ${basename(modelPath)}; pass --tokenizer FILE (a llama2.c tokenizer such as tok512.bin, or "bytes")`);
}

/** Generates a continuation, streaming the text to `io.out`. */
export async function generate(options: GenerateOptions, io: Io = processIo): Promise<string> {
  // Inputs first: a wrong path should fail before a backend (and a GPU probe) starts.
  resolveInput('--model', options.model, [process.cwd()]);
  const found = findTokenizer(options.model, options.tokenizer);
  const { tokenizer } = await loadTokenizer(found.spec, found.roots);
  const { backend } = await selectBackend(options.backend ?? 'auto');
  const { model } = await loadLanguageModel('--model', options.model, [process.cwd()], backend);
  try {
    const prompt = options.prompt ?? '';
    io.out(prompt);
    const result = await generateText(model, tokenizer, prompt, {
      maxTokens: options.maxTokens ?? 128,
      temperature: options.temperature ?? 1,
      seed: options.seed ?? 0,
      onText: (text) => io.out(text),
    });
    io.out('\n');
    return result.text;
  } finally {
    model.dispose();
  }
}

export interface DataCheckOptions {
  file: string;
  kind: string;
  tokenizer?: string | null;
  maxLength?: number | null;
}

/** Preflight of a data file; returns false when any row was rejected. */
export async function dataCheck(options: DataCheckOptions, io: Io = processIo): Promise<boolean> {
  if (!(kindNames as readonly string[]).includes(options.kind)) {
    throw new PathError('--kind', options.kind, `is not a dataset kind; kinds: ${kindNames.join(', ')}`);
  }
  if (!existsSync(options.file)) throw new PathError('file', options.file, 'does not exist');
  const tokenizer = options.tokenizer ? (await loadTokenizer(options.tokenizer, [process.cwd()])).tokenizer : undefined;
  const report = await checkData(options.file, { kind: options.kind as KindName, tokenizer, maxLength: options.maxLength ?? undefined });
  io.out(`${formatReport(report)}\n`);
  return report.rejected === 0 && report.rows > 0;
}

export async function evalRun(runDir: string, options: { backend?: string; logLevel?: LogLevel } = {}, io: Io = processIo): Promise<EvalResult> {
  const logger = new Logger({ consoleLevel: options.logLevel ?? 'warn' });
  const result = await evaluateRun(runDir, { backend: options.backend, logger });
  for (const [name, value] of Object.entries(result.metrics)) io.out(`${name} = ${value}\n`);
  io.out(`wrote ${join(resolve(runDir), 'eval.json')}\n`);
  return result;
}

/** One run: refreshes its report.html. Several: one comparison page (default runs/comparison.html). */
export function report(runDirs: readonly string[], out: string | null, io: Io = processIo): string {
  if (runDirs.length === 0) throw new PathError('run-dir', '', 'give at least one run directory');
  for (const dir of runDirs) if (!existsSync(dir)) throw new PathError('run-dir', dir, 'does not exist');
  const path = runDirs.length === 1 && !out ? writeRunReport(new RunDir(runDirs[0]), false) : writeComparison(runDirs, resolve(out ?? join('runs', 'comparison.html')));
  io.out(`wrote ${path}\n`);
  return path;
}

export async function demo(name: string | null, options: { quick?: boolean; backend?: string; out?: string | null; logLevel?: LogLevel } = {}, io: Io = processIo): Promise<RunOutcome | null> {
  const demos = await listDemos();
  if (demos.length === 0) {
    io.out('No demos are registered. Demos come with method packages (such as @lab/dpo-ties); install one and run `lab demo` again.\n');
    return null;
  }
  if (!name) {
    io.out('demos:\n');
    for (const d of demos) io.out(`  ${d.name.padEnd(16)} ${d.summary} (method ${d.method})\n`);
    io.out('Run one with `lab demo <name> [--quick]`.\n');
    return null;
  }
  const chosen = demos.find((d) => d.name === name);
  if (!chosen) throw new PathError('demo', name, `is not a registered demo; demos: ${demos.map((d) => d.name).join(', ')}`);
  const config = options.quick && chosen.quickConfig ? chosen.quickConfig : chosen.config;
  return runMethod({ method: chosen.method, config, out: options.out ?? null, backend: options.backend ?? 'auto', logLevel: options.logLevel ?? 'info' });
}
