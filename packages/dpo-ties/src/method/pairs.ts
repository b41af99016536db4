/**
 * Preference pairs with tie flags for the Method, from four sources:
 *
 *   preference        JSONL rows {prompt, chosen, rejected, tie?}
 *   rated-comparison  JSONL rows {prompt, candidates: [{text, score}]}
 *   mqm               Google MQM TSV, one comparison per source segment
 *   sentiment         UCI labelled sentences, grouped into comparisons scored by their label
 *
 * Scored sources follow the NMT recipe of Chen et al. (arXiv 2409.17431): per comparison, the best-vs-worst candidates form the
 * clear pair (CP) and the closest-scored pair forms the tied pair (TP).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type LabelledExample,
  type PreferencePair,
  permutation,
  type RatedComparison,
  type TokenizedExample,
  type Tokenizer,
  tokenizeExample,
} from '@lab/data';
import { loadDataset, loadMqm, loadSentimentSentences } from '@lab/data/node';
import { SteeringError } from '../errors.js';
import { promptPairs } from '../steering/pairs.js';
import type { DataFormat } from './config.js';

export interface LoadedPairs {
  file: string;
  sha256: string;
  pairs: PreferencePair[];
  /** Rows read from the file (annotations, sentences or pairs). */
  rows: number;
  /** Rows skipped as invalid. */
  rejected: number;
}

export interface PairSourceOptions {
  tieThreshold: number;
  groupSize: number;
  seed: number;
}

/**
 * Groups labelled sentences into comparisons of `groupSize`, scored by their label, after a seeded
 * shuffle. Each group of two labels has a clear pair across labels and a tie within a label.
 */
export function sentimentComparisons(
  rows: readonly LabelledExample[],
  groupSize: number,
  seed: number,
): RatedComparison[] {
  const order = permutation(rows.length, seed);
  const comparisons: RatedComparison[] = [];
  for (let start = 0; start + groupSize <= order.length; start += groupSize) {
    const members = order.slice(start, start + groupSize).map((i) => rows[i]);
    comparisons.push({
      prompt: '',
      candidates: members.map((r, k) => ({
        text: r.text,
        score: Number(r.label),
        id: String(order[start + k]),
      })),
      id: `group-${start / groupSize}`,
    });
  }
  return comparisons;
}

/** A data file read as scored comparisons (rated-comparison, mqm, sentiment) or as ready pairs (preference). */
export interface LoadedSource {
  file: string;
  sha256: string;
  /** Null for the preference format, which holds pairs, not comparisons. */
  comparisons: RatedComparison[] | null;
  /** Null for the scored formats; their pairs come from `comparisonPairs`. */
  pairs: PreferencePair[] | null;
  rows: number;
  rejected: number;
}

export async function loadSource(
  path: string,
  format: DataFormat,
  options: PairSourceOptions,
): Promise<LoadedSource> {
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  const base = { file: path, sha256 };
  switch (format) {
    case 'preference': {
      const result = await loadDataset(path, 'preference', { onInvalid: 'skip' });
      return {
        ...base,
        comparisons: null,
        pairs: [...result.rows],
        rows: result.loaded,
        rejected: result.rejected,
      };
    }
    case 'rated-comparison': {
      const result = await loadDataset(path, 'rated-comparison', { onInvalid: 'skip' });
      return {
        ...base,
        comparisons: [...result.rows],
        pairs: null,
        rows: result.loaded,
        rejected: result.rejected,
      };
    }
    case 'mqm': {
      const result = await loadMqm(path);
      return {
        ...base,
        comparisons: result.comparisons,
        pairs: null,
        rows: result.annotations.loaded,
        rejected: result.annotations.rejected,
      };
    }
    case 'steering':
      throw new SteeringError(
        'data.format',
        `"steering" samples its pairs from the model and reads no pair file (${path}); use another format for a data file`,
      );
    case 'sentiment': {
      const result = await loadSentimentSentences(path);
      const comparisons = sentimentComparisons(result.rows, options.groupSize, options.seed);
      return { ...base, comparisons, pairs: null, rows: result.loaded, rejected: result.rejected };
    }
  }
}

/**
 * Per comparison, the best-vs-worst pair (clear, when its score gap exceeds `tieThreshold`) and the
 * closest-scoring pair (tie), the recipe of Chen et al. for scored candidates. Candidates with the same
 * text are merged first, with their mean score: two systems that output the same translation are one
 * candidate, and a "tie" between identical texts would teach nothing.
 */
export function comparisonPairs(
  comparisons: readonly RatedComparison[],
  tieThreshold: number,
): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  for (const c of comparisons) {
    const merged = new Map<string, { sum: number; n: number }>();
    for (const { text, score } of c.candidates) {
      const entry = merged.get(text) ?? { sum: 0, n: 0 };
      merged.set(text, { sum: entry.sum + score, n: entry.n + 1 });
    }
    const texts = [...merged.keys()];
    const scores = texts.map((t) => merged.get(t)!.sum / merged.get(t)!.n);
    const { clear, tie } = promptPairs(scores);
    const pair = ([w, l]: [number, number], isTie: boolean) => ({
      prompt: c.prompt,
      chosen: texts[w],
      rejected: texts[l],
      tie: isTie,
      ...(c.id !== undefined ? { id: `${c.id}:${isTie ? 'tie' : 'clear'}` } : {}),
    });
    const isClear = clear !== null && scores[clear[0]] - scores[clear[1]] > tieThreshold;
    if (isClear) pairs.push(pair(clear, false));
    // With two distinct texts the closest pair is the clear pair; it cannot be both.
    const sameAsClear = isClear && tie !== null && new Set([...clear, ...tie]).size === 2;
    if (tie && !sameAsClear) pairs.push(pair(tie, true));
  }
  return pairs;
}

/** Pairs of a file: ready pairs, or pairs derived from its comparisons (sentiment labels tie only when equal). */
export async function loadPairs(
  path: string,
  format: DataFormat,
  options: PairSourceOptions,
): Promise<LoadedPairs> {
  const source = await loadSource(path, format, options);
  const threshold = format === 'sentiment' ? 0 : options.tieThreshold;
  const pairs = source.pairs ?? comparisonPairs(source.comparisons ?? [], threshold);
  return { file: source.file, sha256: source.sha256, pairs, rows: source.rows, rejected: source.rejected };
}

/** Puts a data prompt into the template's `{prompt}` slot, e.g. "English: {prompt}\nGerman:". */
export function applyTemplate(template: string, prompt: string): string {
  return template === '{prompt}' ? prompt : template.split('{prompt}').join(prompt);
}

/** Splits pairs with a seeded permutation, holding out its first round(fraction * n) pairs. */
export function splitHoldout<T>(
  pairs: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; holdout: T[] } {
  const order = permutation(pairs.length, seed, 1);
  const held = Math.round(fraction * pairs.length);
  return {
    holdout: order.slice(0, held).map((i) => pairs[i]),
    train: order.slice(held).map((i) => pairs[i]),
  };
}

export interface TokenizedPreference {
  chosen: TokenizedExample;
  rejected: TokenizedExample;
  tie: boolean;
}

export function tokenizePairs(tokenizer: Tokenizer, pairs: readonly PreferencePair[]): TokenizedPreference[] {
  return pairs.map((p) => ({
    chosen: tokenizeExample(tokenizer, { prompt: p.prompt, completion: p.chosen }),
    rejected: tokenizeExample(tokenizer, { prompt: p.prompt, completion: p.rejected }),
    tie: p.tie === true,
  }));
}

export function tieShare(pairs: readonly { tie?: boolean }[]): number {
  return pairs.length === 0 ? 0 : pairs.filter((p) => p.tie === true).length / pairs.length;
}
