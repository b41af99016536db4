// Runs the built `lab` command as a child process, as a user would.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPath } from '@lab/data/node';

export const BIN = resolve(fileURLToPath(new URL('../bin/lab.js', import.meta.url)));
export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function lab(args: readonly string[], cwd = REPO): Result {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LAB_DEBUG: '' }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `lab` without waiting; the caller kills it or waits for `exited`. */
export function labAsync(args: readonly string[], cwd = REPO) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lab-cli-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A configuration of the built-in sft method that trains a tiny model from scratch in seconds. */
export function tinyConfig(overrides: { steps?: number; logEvery?: number; evalEvery?: number; checkpointEvery?: number } = {}) {
  return {
    model: { path: null, tokenizer: 'bytes', init: { dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, maxSeqLen: 64 } },
    data: { train: dataPath('tinyshakespeare/input.txt.gz'), maxRows: 150, maxLength: 32, validFraction: 0.1 },
    train: { steps: overrides.steps ?? 6, batchSize: 4, logEvery: overrides.logEvery ?? 2, evalEvery: overrides.evalEvery ?? 3, evalBatches: 2, checkpointEvery: overrides.checkpointEvery ?? 3, warmupSteps: 1 },
    sample: { maxTokens: 6, prompts: ['ROMEO:'] },
  };
}

export function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The error output must be one line, without a stack trace. */
export function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one line of error output, got ${lines.length}:\n${stderr}`);
  return lines[0];
}
