/**
 * Inputs a run reads: files named in a configuration (resolved against the config file's folder, the
 * working directory and the repository's data folder), tokenizers, dataset files and models. Each
 * load returns the content hash that goes into the run manifest and the reference cache keys.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ByteTokenizer, type KindName, kinds, parseTinyShakespeare, parseWikiText, type Sequence, type Tokenizer } from '@lab/data';
import { loadDataset, loadLlama2Tokenizer, readSource } from '@lab/data/node';
import { type CausalLM, createModel, type ModelConfig } from '@lab/models';
import { loadLlama2c, loadModel } from '@lab/models/node';
import { PathError } from './errors.js';
import { sha256, sha256FileSync } from './files.js';

/** Folders a relative path is tried against, in order. */
export function searchRoots(configFile: string | null): string[] {
  const roots = [];
  if (configFile) roots.push(dirname(resolve(configFile)));
  roots.push(process.cwd());
  if (process.env.LAB_DATA_DIR) roots.push(dirname(resolve(process.env.LAB_DATA_DIR)));
  return [...new Set(roots)];
}

/** Resolves a path from a configuration; a missing file is a PathError listing where it looked. */
export function resolveInput(what: string, value: string, roots: readonly string[]): string {
  if (isAbsolute(value)) {
    if (existsSync(value)) return value;
    throw new PathError(what, value, 'does not exist');
  }
  const tried = roots.map((root) => resolve(root, value));
  const found = tried.find((p) => existsSync(p));
  if (found) return found;
  throw new PathError(what, value, `was not found; looked in ${tried.join(', ')}. Give a path relative to the config file or the working directory`);
}

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** sha256 of the vocabulary file, or of the tokenizer's name for built-in ones. */
  hash: string;
  source: string;
}

/** 'bytes' for the byte tokenizer, or a llama2.c tokenizer file such as tok512.bin. */
export async function loadTokenizer(spec: string, roots: readonly string[]): Promise<LoadedTokenizer> {
  if (spec === 'bytes') return { tokenizer: new ByteTokenizer(), hash: sha256('tokenizer:bytes'), source: 'bytes' };
  const path = resolveInput('tokenizer', spec, roots);
  return { tokenizer: await loadLlama2Tokenizer(path), hash: sha256FileSync(path), source: path };
}

export type DataFormat = 'auto' | 'jsonl' | 'json' | 'tinyshakespeare' | 'wikitext';

export interface LoadedSequences {
  file: string;
  sha256: string;
  /** Training sequences, one per prompt/completion pair (a preference row gives two). */
  sequences: Sequence[];
  rows: number;
  rejected: number;
}

function formatOf(path: string, format: DataFormat): DataFormat {
  if (format !== 'auto') return format;
  const name = path.toLowerCase();
  if (name.includes('tinyshakespeare')) return 'tinyshakespeare';
  if (name.includes('wikitext')) return 'wikitext';
  return name.replace(/\.gz$/, '').endsWith('.json') ? 'json' : 'jsonl';
}

/**
 * Loads a dataset file as training sequences. Text corpora (Tiny Shakespeare, WikiText) use their
 * ready loaders; JSON and JSON Lines files are read as rows of `kind`.
 */
export async function loadSequences(path: string, kind: KindName, format: DataFormat = 'auto'): Promise<LoadedSequences> {
  const resolvedFormat = formatOf(path, format);
  const hash = sha256FileSync(path);
  if (resolvedFormat === 'tinyshakespeare' || resolvedFormat === 'wikitext') {
    const source = await readSource(path);
    const result = resolvedFormat === 'wikitext' ? parseWikiText(source, { onInvalid: 'skip' }) : parseTinyShakespeare(source, { onInvalid: 'skip' });
    return { file: path, sha256: hash, sequences: result.rows.map((r) => ({ prompt: '', completion: r.text })), rows: result.rows.length, rejected: result.rejected };
  }
  const result = await loadDataset(path, kind, { format: resolvedFormat === 'json' ? 'json' : 'jsonl' });
  const spec = kinds[kind] as { sequences(row: unknown): Sequence[] };
  return { file: path, sha256: hash, sequences: result.rows.flatMap((row) => spec.sequences(row)), rows: result.rows.length, rejected: result.rejected };
}

export interface LoadedModel {
  model: CausalLM;
  /** Where it came from: a file, a directory, or `init:<architecture>`. */
  source: string;
}

/** The newest checkpoint directory under a run directory (any stage), or null. */
export function newestCheckpoint(runDir: string): string | null {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return null;
  let best: { path: string; time: number } | null = null;
  for (const stage of readdirSync(root)) {
    const stageDir = join(root, stage);
    if (!statSync(stageDir).isDirectory()) continue;
    for (const name of readdirSync(stageDir)) {
      if (!/^step-\d+$/.test(name)) continue;
      const path = join(stageDir, name);
      const time = statSync(path).mtimeMs;
      if (best === null || time > best.time) best = { path, time };
    }
  }
  return best?.path ?? null;
}

/**
 * Loads a language model from a llama2.c `.bin` file, a directory with config.json and
 * model.safetensors (a checkpoint or a saved model), or a run directory (its newest checkpoint).
 */
export async function loadLanguageModel(what: string, value: string, roots: readonly string[], backend: string): Promise<LoadedModel> {
  const path = resolveInput(what, value, roots);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'config.json')) && existsSync(join(path, 'model.safetensors'))) {
      return { model: await loadModel(path, { backend }), source: path };
    }
    const checkpoint = newestCheckpoint(path);
    if (checkpoint) return { model: await loadModel(checkpoint, { backend }), source: checkpoint };
    throw new PathError(what, value, 'is a directory without config.json + model.safetensors and without checkpoints; pass a checkpoint directory, a run directory or a llama2.c .bin file');
  }
  if (path.endsWith('.bin')) return { model: await loadLlama2c(path, { backend }), source: path };
  throw new PathError(what, value, 'is not a llama2.c .bin file or a model directory (config.json + model.safetensors)');
}

/** A model with fresh weights, for tests and from-scratch training. */
export function initLanguageModel(config: ModelConfig, seed: number, backend: string): LoadedModel {
  return { model: createModel(config, { backend, seed }), source: `init:${config.architecture}` };
}
