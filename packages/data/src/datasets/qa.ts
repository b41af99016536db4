/**
 * Ready loaders for question-answer sets: TOFU (forget / retain / holdout splits of fictitious
 * author facts) and GSM8K.
 */
import { Schema } from 'effect';
import type { DataSource } from '../formats.js';
import { FieldIssue, type LoadOptions, type LoadResult, parseMapped } from '../load.js';
import { MultipleChoice, QaRow } from '../schema.js';
import { asRecord, renamed, stringField } from './fields.js';
import { withSkip } from './preference.js';

/** Forget, retain and holdout QA sets of one unlearning benchmark. */
export interface ForgetRetainSets {
  forget: LoadResult<QaRow>;
  retain: LoadResult<QaRow>;
  holdout: LoadResult<QaRow>;
}

// The forget files key their rows prompt/response, every other TOFU file question/answer, and the
// perturbed files add snake_case evaluation fields.
const TOFU_KEYS = {
  question: 'question',
  prompt: 'question',
  answer: 'answer',
  response: 'answer',
  paraphrased_question: 'paraphrasedQuestion',
  paraphrased_answer: 'paraphrasedAnswer',
  perturbed_answer: 'perturbedAnswers',
};

/** Any TOFU QA file: `forget*`, `holdout*`, `retain*`, `full`, the `*_perturbed` files. */
export function parseTofuQa(source: DataSource, options: LoadOptions = {}): LoadResult<QaRow> {
  return parseMapped(source, QaRow, (value) => renamed(asRecord(value), TOFU_KEYS), withSkip(options));
}

/** TOFU `real_authors.json` and `world_facts.json`: a question, option1..option4 and the answer text. */
export function parseTofuMultipleChoice(
  source: DataSource,
  options: LoadOptions = {},
): LoadResult<MultipleChoice> {
  return parseMapped(
    source,
    MultipleChoice,
    (value) => {
      const row = asRecord(value);
      const choices: string[] = [];
      for (let i = 1; row[`option${i}`] !== undefined; i++) choices.push(stringField(row, `option${i}`));
      const answer = stringField(row, 'answer');
      if (!choices.includes(answer))
        throw new FieldIssue('answer', `${JSON.stringify(answer)} matches none of the options`);
      return { question: row.question, options: choices, answer };
    },
    withSkip(options),
  );
}

export const Gsm8kRow = Schema.Struct({
  question: Schema.String.check(Schema.isNonEmpty()),
  /** The worked solution, with `<<calc>>` annotations, ending in `#### <number>`. */
  solution: Schema.String.check(Schema.isNonEmpty()),
  /** The final number as written after `####`, without thousands separators. */
  answer: Schema.String.check(Schema.isNonEmpty()),
});
export type Gsm8kRow = typeof Gsm8kRow.Type;

export function parseGsm8k(source: DataSource, options: LoadOptions = {}): LoadResult<Gsm8kRow> {
  return parseMapped(
    source,
    Gsm8kRow,
    (value) => {
      const row = asRecord(value);
      const solution = stringField(row, 'answer');
      const marker = solution.lastIndexOf('####');
      if (marker < 0) throw new FieldIssue('answer', 'has no "#### <number>" final line');
      return {
        question: row.question,
        solution,
        answer: solution
          .slice(marker + 4)
          .trim()
          .replace(/,/g, ''),
      };
    },
    withSkip(options),
  );
}
