/**
 * Ready loaders for preference data: Anthropic HH-RLHF dialogues and AlpacaEval pairwise judgments.
 * Ready loaders skip and count bad rows unless `{onInvalid: 'error'}` is passed.
 */
import type { DataSource } from '../formats.js';
import { FieldIssue, type LoadOptions, type LoadResult, parseMapped } from '../load.js';
import { PreferencePair, PromptCompletion } from '../schema.js';
import { asRecord, stringField } from './fields.js';

const ASSISTANT = '\n\nAssistant:';

/**
 * Splits an HH-RLHF row, whose two whole dialogues agree up to some point. The prompt is the shared
 * text up to and including the last `\n\nAssistant:` inside the shared part. Chosen and rejected are
 * what follows, so they keep their leading space, and also any later turns when the dialogues
 * diverge before the last turn.
 */
export function splitDialoguePair(chosen: string, rejected: string): PreferencePair {
  let shared = 0;
  const limit = Math.min(chosen.length, rejected.length);
  while (shared < limit && chosen.charCodeAt(shared) === rejected.charCodeAt(shared)) shared++;
  const marker = shared < ASSISTANT.length ? -1 : chosen.lastIndexOf(ASSISTANT, shared - ASSISTANT.length);
  if (marker < 0)
    throw new FieldIssue(
      'chosen',
      'shares no "\\n\\nAssistant:" turn with rejected, so there is no common prompt',
    );
  const cut = marker + ASSISTANT.length;
  return { prompt: chosen.slice(0, cut), chosen: chosen.slice(cut), rejected: rejected.slice(cut) };
}

export function parseHhRlhf(source: DataSource, options: LoadOptions = {}): LoadResult<PreferencePair> {
  return parseMapped(
    source,
    PreferencePair,
    (value) => {
      const row = asRecord(value);
      return splitDialoguePair(stringField(row, 'chosen'), stringField(row, 'rejected'));
    },
    withSkip(options),
  );
}

/**
 * AlpacaEval annotations: `preference` 1 means output_1 won, 2 means output_2 won, and 0 or 1.5
 * is a draw (the convention of AlpacaEval's win-rate code). Draws become `tie: true` pairs with
 * output_1 listed as chosen.
 */
export function parseAlpacaEvalJudgments(
  source: DataSource,
  options: LoadOptions = {},
): LoadResult<PreferencePair> {
  return parseMapped(
    source,
    PreferencePair,
    (value) => {
      const row = asRecord(value);
      const prompt = stringField(row, 'instruction');
      const first = stringField(row, 'output_1');
      const second = stringField(row, 'output_2');
      const preference = row.preference;
      if (preference === 1) return { prompt, chosen: first, rejected: second, tie: false };
      if (preference === 2) return { prompt, chosen: second, rejected: first, tie: false };
      if (preference === 0 || preference === 1.5)
        return { prompt, chosen: first, rejected: second, tie: true };
      throw new FieldIssue(
        'preference',
        `expected 1, 2, or a draw (0 or 1.5), got ${JSON.stringify(preference)}`,
      );
    },
    withSkip(options),
  );
}

/** AlpacaEval `model_outputs.json`: instruction and one model's output. */
export function parseAlpacaEvalOutputs(
  source: DataSource,
  options: LoadOptions = {},
): LoadResult<PromptCompletion> {
  return parseMapped(
    source,
    PromptCompletion,
    (value) => {
      const row = asRecord(value);
      return { prompt: stringField(row, 'instruction'), completion: stringField(row, 'output') };
    },
    withSkip(options),
  );
}

export function withSkip(options: LoadOptions): LoadOptions {
  return { onInvalid: 'skip', ...options };
}
