/**
 * The reference model of DPO-family, unlearning and distillation methods, behind one interface with
 * four modes:
 *
 *   frozen-copy   separate frozen weights (a second load of the starting model, or another model)
 *   adapters-off  the policy itself with its LoRA adapters switched off
 *   adapter       the policy with a named set of adapter weights swapped in for the forward pass
 *   precomputed   token log-probs read from a file written earlier
 *
 * Reference token log-probs are computed once, without gradients, and kept in a content-addressed
 * cache: one file per row under `<cacheDir>/<model key>/`, keyed by a hash of the reference weights,
 * the tokenizer, the row's token ids and the truncation settings. A second run on the same data does
 * no forward pass; a changed row misses the cache alone.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collateArrays, type TokenizedExample, type Truncation, truncateRow } from '@lab/data';
import { type CausalLM, loraParameters, sequenceLogProbs, withAdaptersDisabled } from '@lab/models';
import { detach, fromArray, noGrad, optim, scope, type Tensor } from '@lab/tensor';
import { ReferenceSetupError } from './errors.js';
import { hashTensors, sha256, writeAtomic } from './files.js';
import type { Logger } from './logger.js';

export type ReferenceSpec =
  | { mode: 'frozen-copy'; model: CausalLM }
  | { mode: 'adapters-off' }
  | { mode: 'adapter'; name: string; weights: ReadonlyMap<string, Tensor> }
  | { mode: 'precomputed'; file: string };

export type ReferenceMode = ReferenceSpec['mode'];

export interface ReferenceOptions {
  /** The model being trained; required by adapters-off and adapter, checked against frozen-copy. */
  policy?: CausalLM;
  /** 'logits' for methods that need full reference distributions (no cache, no precomputed file). */
  needs?: 'token-logprobs' | 'logits';
  /** Cache folder; null turns the cache off. */
  cacheDir?: string | null;
  /** Hash of the tokenizer that produced the rows' ids. */
  tokenizerHash: string;
  maxLength?: number;
  truncation?: Truncation;
  /** Rows per forward pass when filling the cache (default 8). */
  batchSize?: number;
  log?: Logger;
}

export interface ReferenceStats {
  /** Forward passes of the reference model. */
  forwardPasses: number;
  /** Rows those passes covered. */
  forwardRows: number;
  cacheHits: number;
  cacheMisses: number;
}

function requirePolicy(mode: string, policy: CausalLM | undefined): CausalLM {
  if (!policy) throw new ReferenceSetupError(mode, 'needs the policy model; pass { policy } when building the reference');
  return policy;
}

function check(spec: ReferenceSpec, options: ReferenceOptions): void {
  const { policy } = options;
  switch (spec.mode) {
    case 'frozen-copy':
      if (spec.model === policy) {
        throw new ReferenceSetupError(spec.mode, 'the reference is the policy object being trained, so it would move with it; load a second copy of the starting weights, or use mode "adapters-off" with LoRA');
      }
      if (policy && spec.model.vocabSize !== policy.vocabSize) {
        throw new ReferenceSetupError(spec.mode, `the reference vocabulary has ${spec.model.vocabSize} tokens but the policy's has ${policy.vocabSize}; both must read the same token ids`);
      }
      return;
    case 'adapters-off':
    case 'adapter': {
      const p = requirePolicy(spec.mode, policy);
      if (!p.loraConfig) {
        throw new ReferenceSetupError(spec.mode, 'the policy has no LoRA adapters, so switching them off leaves the trained weights; attach LoRA (lora.rank > 0) or use mode "frozen-copy"');
      }
      const lora = new Set(loraParameters(p));
      const trainableBase = p.parameters().filter((t) => t.requiresGrad && !lora.has(t));
      if (trainableBase.length > 0) {
        throw new ReferenceSetupError(spec.mode, `${trainableBase.length} base parameters of the policy are trainable, so the reference would drift during training; freeze the base (LoRA freezeBase: true) or use mode "frozen-copy"`);
      }
      if (spec.mode === 'adapter') {
        const names = new Set(p.namedParameters().filter(([, t]) => lora.has(t)).map(([n]) => n));
        const missing = [...names].filter((n) => !spec.weights.has(n));
        if (missing.length > 0) {
          throw new ReferenceSetupError(spec.mode, `adapter "${spec.name}" lacks ${missing.length} adapter tensors, such as "${missing[0]}"; save it from a model with the same LoRA layers`);
        }
      }
      return;
    }
    case 'precomputed':
      if (options.needs === 'logits') {
        throw new ReferenceSetupError(spec.mode, 'a precomputed file holds token log-probs only, and this method needs full reference logits; use mode "frozen-copy" or "adapters-off"');
      }
      if (!existsSync(spec.file)) throw new ReferenceSetupError(spec.mode, `file ${spec.file} does not exist; write it with exportReferenceLogProbs or use another mode`);
      return;
  }
}

/** Key of a row's token ids under given truncation settings, independent of any model. */
export function rowKey(row: TokenizedExample, tokenizerHash: string, maxLength: number | undefined, truncation: Truncation): string {
  return sha256(JSON.stringify({ t: tokenizerHash, m: maxLength ?? null, tr: truncation, p: row.prompt, c: row.completion }));
}

export class Reference {
  readonly stats: ReferenceStats = { forwardPasses: 0, forwardRows: 0, cacheHits: 0, cacheMisses: 0 };
  private readonly truncation: Truncation;
  private precomputed: Map<string, Float32Array> | null = null;

  private constructor(
    readonly spec: ReferenceSpec,
    private readonly options: ReferenceOptions,
    /** Hash of everything that decides the reference's outputs; part of every cache key. */
    readonly modelKey: string,
  ) {
    this.truncation = options.truncation ?? 'keep-end';
  }

  get mode(): ReferenceMode {
    return this.spec.mode;
  }

  /** Checks the combination, then hashes the reference weights. Throws ReferenceSetupError. */
  static async create(spec: ReferenceSpec, options: ReferenceOptions): Promise<Reference> {
    check(spec, options);
    const reference = new Reference(spec, options, await modelKeyOf(spec, options.policy));
    if (spec.mode === 'frozen-copy') spec.model.freeze().eval();
    if (spec.mode === 'precomputed') reference.precomputed = readPrecomputed(spec.file);
    options.log?.debug('reference ready', { mode: spec.mode, key: reference.modelKey.slice(0, 16) });
    return reference;
  }

  private cachePath(key: string): string | null {
    const dir = this.options.cacheDir;
    if (!dir) return null;
    return join(dir, this.modelKey.slice(0, 16), key.slice(0, 2), `${key}.f32`);
  }

  private keyOf(row: TokenizedExample): string {
    return rowKey(row, this.options.tokenizerHash, this.options.maxLength, this.truncation);
  }

  /**
   * Per-row token log-probs of the reference, each of length (truncated row length - 1), aligned with
   * collate's labels and zero where the loss mask is off. Served from the cache when present.
   */
  async tokenLogProbs(rows: readonly TokenizedExample[]): Promise<Float32Array[]> {
    const out: (Float32Array | null)[] = rows.map(() => null);
    const missing: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const key = this.keyOf(rows[i]);
      if (this.precomputed) {
        const values = this.precomputed.get(key);
        if (!values) throw new ReferenceSetupError('precomputed', `row ${i} (${rows[i].prompt.length}+${rows[i].completion.length} tokens) is not in ${(this.spec as { file: string }).file}; recompute the file for this data and these truncation settings`);
        out[i] = values;
        continue;
      }
      const path = this.cachePath(key);
      if (path && existsSync(path)) {
        const bytes = await readFile(path);
        out[i] = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        this.stats.cacheHits += 1;
      } else {
        missing.push(i);
        if (path) this.stats.cacheMisses += 1;
      }
    }
    const batchSize = this.options.batchSize ?? 8;
    for (let start = 0; start < missing.length; start += batchSize) {
      const chunk = missing.slice(start, start + batchSize);
      const computed = await this.forward(chunk.map((i) => rows[i]));
      for (let j = 0; j < chunk.length; j++) {
        out[chunk[j]] = computed[j];
        const path = this.cachePath(this.keyOf(rows[chunk[j]]));
        if (path) {
          mkdirSync(join(path, '..'), { recursive: true });
          await writeAtomic(path, new Uint8Array(computed[j].buffer, computed[j].byteOffset, computed[j].byteLength));
        }
      }
    }
    return out as Float32Array[];
  }

  /** Fills the cache for every row (the one no-grad pass before training). */
  async precompute(rows: readonly TokenizedExample[]): Promise<void> {
    const before = this.stats.forwardRows;
    await this.tokenLogProbs(rows);
    this.options.log?.info('reference log-probs ready', { rows: rows.length, computed: this.stats.forwardRows - before, cached: rows.length - (this.stats.forwardRows - before) });
  }

  /** Reference token log-probs as a (B, T-1) tensor padded like `collate(rows)` with the same settings. */
  async batchTokenLogProbs(rows: readonly TokenizedExample[], length?: number): Promise<Tensor> {
    const values = await this.tokenLogProbs(rows);
    const width = (length ?? Math.max(...values.map((v) => v.length + 1))) - 1;
    const data = new Float32Array(rows.length * width);
    values.forEach((v, b) => {
      data.set(v.subarray(0, width), b * width);
    });
    return fromArray(data, [rows.length, width], { dtype: 'f32', backend: this.backendName() });
  }

  /** Reference sequence log-probs: the sum over completion tokens of each row. (B) */
  async sequenceLogProbs(rows: readonly TokenizedExample[]): Promise<Tensor> {
    const values = await this.tokenLogProbs(rows);
    const sums = Float32Array.from(values, (v) => v.reduce((a, b) => a + b, 0));
    return fromArray(sums, [rows.length], { dtype: 'f32', backend: this.backendName() });
  }

  /** Full reference logits for methods that need distributions; never cached. ids: (B, T) -> (B, T, V). */
  logits(ids: Tensor): Tensor {
    this.stats.forwardPasses += 1;
    this.stats.forwardRows += ids.shape[0];
    return this.withModel((model) => noGrad(() => detach(model.forward(ids))));
  }

  private backendName(): string {
    if (this.spec.mode === 'frozen-copy') return this.spec.model.backendName;
    return this.options.policy?.backendName ?? 'cpu';
  }

  /** Runs `fn` with the model that computes the reference, in its reference state. */
  private withModel<T>(fn: (model: CausalLM) => T): T {
    const spec = this.spec;
    switch (spec.mode) {
      case 'frozen-copy':
        return fn(spec.model);
      case 'adapters-off': {
        const policy = this.options.policy!;
        return withAdaptersDisabled(policy, () => fn(policy));
      }
      case 'adapter':
        return swapAdapter(this.options.policy!, spec.weights, fn);
      case 'precomputed':
        throw new ReferenceSetupError('precomputed', 'has no model to run; every row must come from the file');
    }
  }

  private async forward(rows: readonly TokenizedExample[]): Promise<Float32Array[]> {
    const arrays = collateArrays(rows, { maxLength: this.options.maxLength, truncation: this.truncation });
    const [B, T] = [arrays.batchSize, arrays.length];
    this.stats.forwardPasses += 1;
    this.stats.forwardRows += B;
    const tokenLogProbs = this.withModel((model) =>
      noGrad(() =>
        scope(() => {
          const ids = fromArray(arrays.ids, [B, T], { dtype: 'i32', backend: model.backendName });
          const mask = fromArray(arrays.completionMask, [B, T], { dtype: 'f32', backend: model.backendName });
          return sequenceLogProbs(model, ids, mask, { grad: false }).tokenLogProbs; // (B, T-1)
        }),
      ),
    );
    try {
      const data = await tokenLogProbs.data();
      // `+ 0` turns the -0 of masked positions into 0, which JSON files (precomputed mode) keep too.
      return arrays.rowLengths.map((length, b) => Float32Array.from(data.subarray(b * (T - 1), b * (T - 1) + length - 1), (v) => v + 0));
    } finally {
      tokenLogProbs.dispose();
    }
  }
}

/** Swaps adapter weights into the policy for the duration of `fn`, restoring the trained ones after. */
function swapAdapter<T>(policy: CausalLM, weights: ReadonlyMap<string, Tensor>, fn: (model: CausalLM) => T): T {
  const lora = new Set(loraParameters(policy));
  const targets = policy.namedParameters().filter(([, t]) => lora.has(t));
  const saved = targets.map(([, t]) => detach(t)); // views keep the trained storage alive
  try {
    for (const [name, t] of targets) optim.assignStorage(t, weights.get(name)!);
    return fn(policy);
  } finally {
    targets.forEach(([, t], i) => {
      optim.assignStorage(t, saved[i]);
    });
    for (const view of saved) view.dispose();
  }
}

async function modelKeyOf(spec: ReferenceSpec, policy: CausalLM | undefined): Promise<string> {
  switch (spec.mode) {
    case 'frozen-copy':
      return sha256(`frozen:${await hashTensors(spec.model.namedParameters())}`);
    case 'adapters-off': {
      const lora = new Set(loraParameters(policy!));
      return sha256(`base:${await hashTensors(policy!.namedParameters().filter(([, t]) => !lora.has(t)))}`);
    }
    case 'adapter': {
      const lora = new Set(loraParameters(policy!));
      const base = await hashTensors(policy!.namedParameters().filter(([, t]) => !lora.has(t)));
      const adapter = await hashTensors([...spec.weights].sort(([a], [b]) => (a < b ? -1 : 1)));
      return sha256(`adapter:${spec.name}:${base}:${adapter}`);
    }
    case 'precomputed':
      return sha256(`file:${sha256(readFileSync(spec.file))}`);
  }
}

/** One line of a precomputed reference file. */
export interface PrecomputedLine {
  prompt: number[];
  completion: number[];
  maxLength: number | null;
  truncation: Truncation;
  tokenizerHash: string;
  tokenLogProbs: number[];
}

function readPrecomputed(file: string): Map<string, Float32Array> {
  const map = new Map<string, Float32Array>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let row: PrecomputedLine;
      try {
        row = JSON.parse(line) as PrecomputedLine;
      } catch (error) {
        throw new ReferenceSetupError('precomputed', `${file} line ${i + 1} is not JSON (${(error as Error).message})`);
      }
      const key = rowKey(row, row.tokenizerHash, row.maxLength ?? undefined, row.truncation);
      map.set(key, Float32Array.from(row.tokenLogProbs));
    });
  return map;
}

/** Writes a precomputed reference file for `rows`, computing through `reference` (and its cache). */
export async function exportReferenceLogProbs(reference: Reference, rows: readonly TokenizedExample[], file: string, options: { tokenizerHash: string; maxLength?: number; truncation?: Truncation }): Promise<void> {
  const values = await reference.tokenLogProbs(rows);
  const truncation = options.truncation ?? 'keep-end';
  const lines = rows.map((row, i) => {
    if (typeof truncateRow(row, options.maxLength, truncation) === 'string') throw new ReferenceSetupError('precomputed', `row ${i} keeps no completion token under these truncation settings`);
    const line: PrecomputedLine = { prompt: [...row.prompt], completion: [...row.completion], maxLength: options.maxLength ?? null, truncation, tokenizerHash: options.tokenizerHash, tokenLogProbs: Array.from(values[i]) };
    return JSON.stringify(line);
  });
  await writeAtomic(file, `${lines.join('\n')}\n`);
}
