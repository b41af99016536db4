/**
 * Checkpoints: one directory per saved step, `step-000120/`, holding safetensors files and a
 * `state.json` written last. A checkpoint is built under a temporary name and renamed into place, so
 * a kill at any point leaves either no new checkpoint or a complete one. Deletion renames to a trash
 * name first, so a half-deleted checkpoint never looks valid. `state.json` records the sha256 of every
 * file, so a damaged file is a CheckpointError instead of silently wrong weights.
 *
 * Retention keeps the newest `keepLast` and the best `keepBest` by one named metric; the newest and
 * the best are never deleted, whatever the settings.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratorState } from '@lab/tensor';
import { CheckpointError } from './errors.js';
import { sha256, temporaryPath } from './files.js';
import type { Logger } from './logger.js';

export const CHECKPOINT_FORMAT = 'lab-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const STATE_FILE = 'state.json';

/** The best value of the retention metric seen so far and the step that reached it. */
export interface BestRecord {
  metric: string;
  mode: 'min' | 'max';
  value: number;
  step: number;
}

/** Where the data order stands: batches are drawn from permutation(seed, epoch), `index` is the next batch. */
export interface DataPosition {
  seed: number;
  epoch: number;
  index: number;
}

/** Per-step training values not yet written to metrics.jsonl: one row per step, one column per name. */
export interface PendingRecords {
  names: string[];
  steps: number[];
  rows: number[][];
}

export interface OptimizerJson {
  kind: string;
  step: number;
  lr: number;
  hyperparameters: Record<string, number | boolean>;
  paramSteps: number[];
}

/** The JSON half of a checkpoint; the tensors live in the safetensors files it lists. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  stage: string;
  /** Optimizer steps completed. */
  step: number;
  data: DataPosition | null;
  /** Every random stream by name, as Generator.state() returns it. */
  rng: Record<string, GeneratorState>;
  optimizer: OptimizerJson | null;
  best: BestRecord | null;
  /** Metrics known at this step (the latest evaluation), used by retention. */
  metrics: Record<string, number>;
  referenceCacheKey: string | null;
  /** Per-step values read since the last metrics line, so a resumed run logs the same averages. */
  pending: PendingRecords;
  /** Tokens seen so far. */
  tokens: number;
  /** Method-specific JSON state. */
  extra: unknown;
  /** sha256 of every other file in the checkpoint, by file name. */
  files: Record<string, string>;
  createdAt: string;
}

export type CheckpointStateInput = Omit<CheckpointState, 'format' | 'version' | 'files' | 'createdAt'>;

export interface CheckpointEntry {
  path: string;
  step: number;
  state: CheckpointState;
}

export interface RetentionOptions {
  /** Newest checkpoints to keep (default 2, at least 1). */
  keepLast?: number;
  /** Best checkpoints to keep by `metric` (default 1). */
  keepBest?: number;
  /** Metric of `state.metrics` that ranks checkpoints; null keeps by recency only. */
  metric?: string | null;
  mode?: 'min' | 'max';
}

export interface CheckpointStoreOptions extends RetentionOptions {
  log?: Logger;
  /**
   * Called at each point of the save protocol (`files-written`, `state-written`, `renamed`,
   * `trashed:<name>`, `deleted:<name>`). A hook that throws simulates a crash at that point; tests use it.
   */
  hook?: (point: string) => void;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

const NAME = /^step-(\d+)$/;

/** Reads and checks a checkpoint directory; every failure is a CheckpointError naming the problem. */
export function readCheckpoint(path: string): CheckpointEntry {
  const statePath = join(path, STATE_FILE);
  if (!existsSync(path)) throw new CheckpointError(path, 'missing', 'the directory does not exist; list runs/<name>/checkpoints/ for the saved steps');
  if (!existsSync(statePath)) throw new CheckpointError(path, 'missing', `${STATE_FILE} is absent; the checkpoint was never completed. Delete it and resume from an earlier one`);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch (error) {
    throw new CheckpointError(path, 'corrupt', `${STATE_FILE} is not valid JSON (${(error as Error).message}). Delete the checkpoint and resume from an earlier one`);
  }
  if (state?.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(path, 'format', `${STATE_FILE} has format ${JSON.stringify(state?.format)}, expected "${CHECKPOINT_FORMAT}"; this is not a @lab/trainer checkpoint`);
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(path, 'format', `format version ${JSON.stringify(state.version)} is not supported (this trainer reads version ${CHECKPOINT_VERSION}); use the @lab/trainer release that wrote it`);
  }
  for (const [file, digest] of Object.entries(state.files ?? {})) {
    const filePath = join(path, file);
    if (!existsSync(filePath)) throw new CheckpointError(path, 'missing', `${file} is listed in ${STATE_FILE} but absent`);
    if (sha256(readFileSync(filePath)) !== digest) {
      throw new CheckpointError(path, 'corrupt', `${file} does not match its recorded sha256; the file was damaged. Delete the checkpoint and resume from an earlier one`);
    }
  }
  return { path, step: state.step, state };
}

function better(a: number, b: number, mode: 'min' | 'max'): boolean {
  return mode === 'min' ? a < b : a > b;
}

export class CheckpointStore {
  readonly dir: string;
  readonly keepLast: number;
  readonly keepBest: number;
  readonly metric: string | null;
  readonly mode: 'min' | 'max';
  private readonly log: Logger | undefined;
  private readonly hook: (point: string) => void;

  constructor(dir: string, options: CheckpointStoreOptions = {}) {
    this.dir = dir;
    this.keepLast = Math.max(1, options.keepLast ?? 2);
    this.keepBest = Math.max(0, options.keepBest ?? 1);
    this.metric = options.metric ?? null;
    this.mode = options.mode ?? 'min';
    this.log = options.log;
    this.hook = options.hook ?? (() => {});
  }

  /** Removes what a killed save or deletion left behind (temporary and trash directories). */
  recover(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith('.tmp-') || name.startsWith('.trash-')) {
        rmSync(join(this.dir, name), { recursive: true, force: true });
        this.log?.info('removed an unfinished checkpoint directory', { path: join(this.dir, name) });
      }
    }
  }

  /** Complete checkpoints, oldest first. A directory that fails its checks is skipped with a warning. */
  list(): CheckpointEntry[] {
    if (!existsSync(this.dir)) return [];
    const entries: CheckpointEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!NAME.test(name)) continue;
      try {
        entries.push(readCheckpoint(join(this.dir, name)));
      } catch (error) {
        this.log?.warn('skipping a damaged checkpoint', { path: join(this.dir, name), reason: (error as Error).message });
      }
    }
    return entries.sort((a, b) => a.step - b.step);
  }

  latest(): CheckpointEntry | null {
    const all = this.list();
    return all.length > 0 ? all[all.length - 1] : null;
  }

  /** The checkpoint with the best retention metric (the earliest among equals), or null. */
  best(entries: readonly CheckpointEntry[] = this.list()): CheckpointEntry | null {
    if (this.metric === null) return null;
    let best: CheckpointEntry | null = null;
    for (const entry of entries) {
      const value = entry.state.metrics?.[this.metric];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (best === null || better(value, best.state.metrics[this.metric], this.mode)) best = entry;
    }
    return best;
  }

  /**
   * Writes a checkpoint for `state.step` with the given files, then applies retention. A checkpoint
   * of the same step that already exists is kept as it is (a deterministic run would write the same).
   */
  async save(state: CheckpointStateInput, files: ReadonlyMap<string, Uint8Array | string>): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const finalPath = join(this.dir, checkpointName(state.step));
    if (existsSync(finalPath)) {
      this.log?.debug('checkpoint already exists', { path: finalPath });
      return finalPath;
    }
    const temporary = temporaryPath(join(this.dir, `.tmp-${checkpointName(state.step)}`));
    mkdirSync(temporary);
    const digests: Record<string, string> = {};
    for (const [name, data] of files) {
      writeFileSync(join(temporary, name), data);
      digests[name] = sha256(data);
    }
    this.hook('files-written');
    const full: CheckpointState = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...state, files: digests, createdAt: new Date().toISOString() };
    writeFileSync(join(temporary, STATE_FILE), `${JSON.stringify(full, null, 2)}\n`);
    this.hook('state-written');
    renameSync(temporary, finalPath);
    this.hook('renamed');
    this.log?.debug('saved checkpoint', { path: finalPath, step: state.step });
    this.retain();
    return finalPath;
  }

  /** Deletes checkpoints outside newest-k and best-k; never the newest or the best. */
  retain(): void {
    const entries = this.list();
    if (entries.length === 0) return;
    const keep = new Set<string>();
    for (const entry of entries.slice(-this.keepLast)) keep.add(entry.path);
    keep.add(entries[entries.length - 1].path);
    const best = this.best(entries);
    if (best) keep.add(best.path);
    if (this.metric !== null && this.keepBest > 0) {
      const metric = this.metric;
      const ranked = entries
        .filter((e) => typeof e.state.metrics?.[metric] === 'number' && Number.isFinite(e.state.metrics[metric]))
        .sort((a, b) => (this.mode === 'min' ? a.state.metrics[metric] - b.state.metrics[metric] : b.state.metrics[metric] - a.state.metrics[metric]) || a.step - b.step);
      for (const entry of ranked.slice(0, this.keepBest)) keep.add(entry.path);
    }
    for (const entry of entries) {
      if (keep.has(entry.path)) continue;
      const name = entry.path.split(/[\\/]/).pop()!;
      const trash = join(this.dir, `.trash-${name}-${process.pid}`);
      renameSync(entry.path, trash);
      this.hook(`trashed:${name}`);
      rmSync(trash, { recursive: true, force: true });
      this.hook(`deleted:${name}`);
      const value = this.metric ? entry.state.metrics?.[this.metric] : undefined;
      this.log?.info('retention removed a checkpoint', { path: entry.path, step: entry.step, ...(this.metric ? { [this.metric]: value ?? null } : {}) });
    }
  }
}
