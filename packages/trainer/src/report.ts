/**
 * report.html of a run, built from what the run directory holds (config.json, manifest.json,
 * metrics.jsonl, samples.jsonl, eval.json) and rendered by @lab/eval. While the run goes, the page
 * reloads itself every 15 seconds; the final write drops the reload.
 */
import { existsSync } from 'node:fs';
import { type LineChartSection, type ReportSection, type ReportSpec, type RunSummary, renderComparison, renderReport } from '@lab/eval';
import { RunDirError } from './errors.js';
import { writeAtomicSync } from './files.js';
import type { EvalResult } from './method.js';
import { type MetricLine, RUN_FILES, RunDir } from './run-dir.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'interrupted';

/** manifest.json of a run. */
export interface Manifest {
  format: 'lab-run';
  version: 1;
  method: string;
  methodPackage: string | null;
  status: RunStatus;
  error: string | null;
  codeVersion: string;
  seed: number;
  backend: { name: string; limits: Record<string, number>; features: string[] };
  commandLine: string[];
  /** The config file the run was started with; relative paths in the config resolve against its folder. */
  configFile: string | null;
  node: string;
  data: { name: string; file: string; sha256: string; rows: number }[];
  startedAt: string;
  finishedAt: string | null;
  /** Optimizer steps asked with --steps, when given. */
  stepsOverride: number | null;
}

/** eval.json of a run. */
export interface EvalFile extends EvalResult {
  method: string;
  evaluatedAt: string;
}

type Curve = { x: number[]; y: number[] };

/** Curves by `<stage>/<split>/<metric>`, in step order. */
function curvesOf(lines: readonly MetricLine[]): Map<string, Curve> {
  const curves = new Map<string, Curve>();
  const add = (key: string, x: number, y: number) => {
    const curve = curves.get(key) ?? { x: [], y: [] };
    curve.x.push(x);
    curve.y.push(y);
    curves.set(key, curve);
  };
  for (const line of lines) {
    for (const [name, metric] of Object.entries(line.metrics)) add(`${line.stage}/${line.split}/${name}`, line.step, metric.value);
    if (line.timing?.tokensPerSecond != null) add(`${line.stage}/${line.split}/tokensPerSecond`, line.step, line.timing.tokensPerSecond);
  }
  return curves;
}

function chart(title: string, yLabel: string, series: { name: string; curve: Curve }[], unit?: string): LineChartSection {
  return {
    kind: 'lineChart',
    title,
    x: { label: 'step' },
    y: { label: yLabel, ...(unit ? { unit } : {}) },
    series: series.map((s) => ({ name: s.name, x: s.curve.x, y: s.curve.y })),
  };
}

const UNITS: Record<string, string> = { loss: 'nats/token', lr: 'per step', tokensPerSecond: 'tokens/s', tokens: 'tokens' };

/** One chart per metric and stage; the loss chart shows training and evaluation losses together. */
function curveSections(lines: readonly MetricLine[]): ReportSection[] {
  const curves = curvesOf(lines);
  const stages = [...new Set(lines.map((l) => l.stage))];
  const sections: ReportSection[] = [];
  for (const stage of stages) {
    const prefix = stages.length > 1 ? `${stage}: ` : '';
    const keys = [...curves.keys()].filter((k) => k.startsWith(`${stage}/`));
    const lossKeys = keys.filter((k) => /loss$/i.test(k));
    if (lossKeys.length > 0) {
      sections.push(chart(`${prefix}Loss`, 'loss', lossKeys.map((k) => ({ name: k.slice(stage.length + 1).replace('/', ' '), curve: curves.get(k)! })), UNITS.loss));
    }
    for (const key of keys) {
      if (lossKeys.includes(key) || key.endsWith('/tokens')) continue;
      const [, split, name] = key.split('/');
      sections.push(chart(`${prefix}${name} (${split})`, name, [{ name: `${split} ${name}`, curve: curves.get(key)! }], UNITS[name]));
    }
  }
  return sections;
}

function flatten(value: unknown, prefix: string, out: [string, string][]): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix, JSON.stringify(value)]);
  return out;
}

/** The report of one run as a spec (so callers can add sections before rendering). */
export function buildRunReport(run: RunDir): ReportSpec {
  const manifest = run.readJson<Manifest>('manifest');
  const config = run.readJson<Record<string, unknown>>('config');
  const evalFile = run.readJson<EvalFile>('eval');
  const lines = run.readMetrics();
  const samples = run.readSamples();
  const sections: ReportSection[] = [];
  if (manifest?.error) sections.push({ kind: 'text', title: 'Error', text: manifest.error });
  if (lines.length === 0) sections.push({ kind: 'text', title: 'Metrics', text: 'No metrics logged yet.' });
  sections.push(...curveSections(lines));
  if (evalFile) {
    const names = Object.keys(evalFile.metrics).sort();
    sections.push({ kind: 'table', title: 'Evaluation (eval.json)', columns: ['metric', 'value', 'version'], rows: names.map((n) => [n, evalFile.metrics[n], evalFile.versions?.[n] ?? 1]) });
    sections.push(...(evalFile.plots ?? []));
  }
  if (samples.length > 0) {
    const lastStep = samples[samples.length - 1];
    const latest = samples.filter((s) => s.stage === lastStep.stage && s.step === lastStep.step);
    sections.push({ kind: 'samples', title: `Samples at step ${lastStep.step} (${lastStep.stage})`, samples: latest.map((s) => ({ label: `prompt: ${s.prompt || '(empty)'} - seed ${s.seed}`, text: s.text })) });
  }
  if (config) sections.push({ kind: 'table', title: 'Configuration', columns: ['field', 'value'], rows: flatten(config, '', []) });
  return {
    title: run.name,
    subtitle: manifest ? `${manifest.method} - ${manifest.status}` : undefined,
    meta: manifest
      ? { method: manifest.method, status: manifest.status, seed: manifest.seed, backend: manifest.backend.name, code: manifest.codeVersion, started: manifest.startedAt, finished: manifest.finishedAt ?? undefined }
      : undefined,
    sections,
  };
}

/** Writes report.html; `running` adds a self-reload so an open page follows the run. */
export function writeRunReport(run: RunDir, running: boolean): string {
  let html = renderReport(buildRunReport(run));
  if (running) html = html.replace('<head>', '<head>\n<meta http-equiv="refresh" content="15">');
  const path = run.path(RUN_FILES.report);
  writeAtomicSync(path, html);
  return path;
}

/** Reads the summary that renderComparison needs from one run directory. */
export function summarizeRun(run: RunDir): RunSummary {
  if (!run.has('manifest') && !run.has('metrics')) {
    throw new RunDirError(run.root, 'holds neither manifest.json nor metrics.jsonl; pass a directory written by `lab train`');
  }
  const manifest = run.readJson<Manifest>('manifest');
  const evalFile = run.readJson<EvalFile>('eval');
  const lines = run.readMetrics();
  const curves: Record<string, Curve> = {};
  for (const [key, curve] of curvesOf(lines)) {
    const [stage, split, name] = key.split('/');
    curves[stage === 'main' ? `${split} ${name}` : `${stage} ${split} ${name}`] = curve;
  }
  return {
    name: run.name,
    method: manifest?.method ?? 'unknown',
    seed: manifest?.seed,
    metrics: evalFile?.metrics ?? {},
    curves,
    meta: manifest ? { status: manifest.status, backend: manifest.backend.name } : undefined,
  };
}

/** Writes one comparison page of several runs; returns its path. */
export function writeComparison(runDirs: readonly string[], out: string): string {
  for (const dir of runDirs) if (!existsSync(dir)) throw new RunDirError(dir, 'does not exist');
  const summaries = runDirs.map((dir) => summarizeRun(new RunDir(dir)));
  writeAtomicSync(out, renderComparison(summaries));
  return out;
}
