/**
 * A run directory, `runs/<name>/`:
 *
 *   config.json     resolved configuration (defaults filled in)
 *   manifest.json   code version, data hashes, seeds, backend and its limits, command line
 *   metrics.jsonl   one JSON object per logged step; each metric carries its definition's version
 *   samples.jsonl   generations at each evaluation
 *   eval.json       the method's final evaluation
 *   report.html     self-contained report, refreshed while the run goes
 *   run.log         the log
 *   checkpoints/    one folder per stage, one subfolder per checkpoint
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAtomicSync } from './files.js';

export const RUN_FILES = {
  config: 'config.json',
  manifest: 'manifest.json',
  metrics: 'metrics.jsonl',
  samples: 'samples.jsonl',
  eval: 'eval.json',
  report: 'report.html',
  log: 'run.log',
  checkpoints: 'checkpoints',
} as const;

/** A metric value with the version of its definition; a version changes when the formula does. */
export interface MetricValue {
  value: number;
  version: number;
}

export interface MetricTiming {
  /** Seconds since this process started the stage. */
  elapsedSeconds: number;
  tokensPerSecond: number | null;
}

/** One line of metrics.jsonl. `timing` is wall-clock and differs between runs; the rest is deterministic. */
export interface MetricLine {
  stage: string;
  step: number;
  split: 'train' | 'eval';
  metrics: Record<string, MetricValue>;
  timing?: MetricTiming;
}

export interface SampleLine {
  stage: string;
  step: number;
  prompt: string;
  text: string;
  seed: number;
}

function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (error) {
      // A kill during an append can cut the last line short; anything earlier is real damage.
      if (i < lines.length - 2) throw new Error(`${path} line ${i + 1} is not JSON (${(error as Error).message})`);
    }
  });
  return out;
}

function writeJsonLines(path: string, rows: readonly unknown[]): void {
  writeAtomicSync(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export class RunDir {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Creates the directory (and parents) when missing. */
  ensure(): this {
    mkdirSync(this.root, { recursive: true });
    return this;
  }

  get name(): string {
    return this.root.split(/[\\/]/).filter(Boolean).pop() ?? this.root;
  }

  path(name: string): string {
    return join(this.root, name);
  }

  checkpointDir(stage: string): string {
    return join(this.root, RUN_FILES.checkpoints, stage);
  }

  has(file: keyof typeof RUN_FILES): boolean {
    return existsSync(this.path(RUN_FILES[file]));
  }

  appendMetrics(line: MetricLine): void {
    appendFileSync(this.path(RUN_FILES.metrics), `${JSON.stringify(line)}\n`);
  }

  readMetrics(): MetricLine[] {
    return readJsonLines<MetricLine>(this.path(RUN_FILES.metrics));
  }

  appendSample(line: SampleLine): void {
    appendFileSync(this.path(RUN_FILES.samples), `${JSON.stringify(line)}\n`);
  }

  readSamples(): SampleLine[] {
    return readJsonLines<SampleLine>(this.path(RUN_FILES.samples));
  }

  /**
   * Drops the lines of `stage` logged after `step`, which a killed process wrote past its last
   * checkpoint; a resumed run writes them again. Lines of other stages stay.
   */
  truncateAfter(stage: string, step: number): void {
    const keep = <T extends { stage: string; step: number }>(rows: T[]) => rows.filter((r) => r.stage !== stage || r.step <= step);
    // Rewriting also drops a last line that a kill cut short, so later appends start on a fresh line.
    if (this.has('metrics')) writeJsonLines(this.path(RUN_FILES.metrics), keep(this.readMetrics()));
    if (this.has('samples')) writeJsonLines(this.path(RUN_FILES.samples), keep(this.readSamples()));
  }

  readJson<T>(file: keyof typeof RUN_FILES): T | null {
    const path = this.path(RUN_FILES[file]);
    if (!existsSync(path)) return null;
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  }

  writeJson(file: keyof typeof RUN_FILES, value: unknown): void {
    writeAtomicSync(this.path(RUN_FILES[file]), `${JSON.stringify(value, null, 2)}\n`);
  }
}
