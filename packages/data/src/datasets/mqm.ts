/**
 * Google's MQM human judgments of machine translation (the TED en->de release): one TSV row per
 * error annotation, grouped here into one rated comparison per source segment.
 */
import { Schema } from 'effect';
import type { DataSource } from '../formats.js';
import { FieldIssue, type LoadOptions, type LoadResult, parseMapped } from '../load.js';
import type { RatedComparison } from '../schema.js';
import { withSkip } from './preference.js';

const Text = Schema.String.check(Schema.isNonEmpty());

export const MqmAnnotation = Schema.Struct({
  system: Text,
  seg_id: Text,
  source: Text,
  target: Schema.String,
  category: Schema.String,
  severity: Text,
  /** Error weight of this annotation, from `MqmWeights`. */
  penalty: Schema.Finite,
});
export type MqmAnnotation = typeof MqmAnnotation.Type;

/** Weight per error (the MQM scheme of Freitag et al. 2021): the MQM score of a segment is their sum. */
export interface MqmWeights {
  major: number;
  minor: number;
  /** A minor Fluency/Punctuation error. */
  minorPunctuation: number;
  /** A major Non-translation error. */
  nonTranslation: number;
}

export const defaultMqmWeights: MqmWeights = {
  major: 5,
  minor: 1,
  minorPunctuation: 0.1,
  nonTranslation: 25,
};

export interface MqmResult {
  /** The annotation rows, with counts of rows loaded and rejected. */
  annotations: LoadResult<MqmAnnotation>;
  /** One comparison per source segment; candidate score = -(weighted error count), higher is better. */
  comparisons: RatedComparison[];
}

export function penaltyOf(severity: string, category: string, weights: MqmWeights): number {
  switch (severity) {
    case 'No-error':
    case 'Neutral':
      return 0;
    case 'Major':
      return category.startsWith('Non-translation') ? weights.nonTranslation : weights.major;
    case 'Minor':
      return category === 'Fluency/Punctuation' ? weights.minorPunctuation : weights.minor;
    default:
      throw new FieldIssue(
        'severity',
        `expected Major, Minor, Neutral or No-error, got ${JSON.stringify(severity)}`,
      );
  }
}

export function parseMqm(
  source: DataSource,
  options: LoadOptions & { weights?: MqmWeights } = {},
): MqmResult {
  const weights = options.weights ?? defaultMqmWeights;
  const annotations = parseMapped(
    source,
    MqmAnnotation,
    (value) => {
      const row = value as Record<string, string>;
      return { ...row, penalty: penaltyOf(row.severity, row.category ?? '', weights) };
    },
    withSkip({ format: 'tsv', header: true, ...options }),
  );
  return { annotations, comparisons: groupBySegment(annotations.rows) };
}

function groupBySegment(rows: readonly MqmAnnotation[]): RatedComparison[] {
  const segments = new Map<
    string,
    { source: string; systems: Map<string, { text: string; penalty: number }> }
  >();
  for (const row of rows) {
    let segment = segments.get(row.seg_id);
    if (segment === undefined) {
      segment = { source: row.source, systems: new Map() };
      segments.set(row.seg_id, segment);
    }
    const entry = segment.systems.get(row.system);
    // Annotation rows mark the error span with <v>...</v>; the translation is the text without it.
    if (entry === undefined)
      segment.systems.set(row.system, { text: row.target.replace(/<\/?v>/g, ''), penalty: row.penalty });
    else entry.penalty += row.penalty;
  }
  const comparisons: RatedComparison[] = [];
  for (const [id, segment] of [...segments].sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))) {
    const candidates = [...segment.systems].map(([system, { text, penalty }]) => ({
      text,
      // Rounding removes float noise from sums such as 0.1 + 0.1 + 1, so equal error sets tie exactly.
      score: -Math.round(penalty * 1e6) / 1e6 || 0,
      id: system,
    }));
    if (candidates.length >= 2) comparisons.push({ prompt: segment.source, candidates, id });
  }
  return comparisons;
}
