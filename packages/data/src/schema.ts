/**
 * Dataset kinds: one Effect Schema per row layout, and per kind the text fields a preflight measures
 * and the prompt/completion sequences a model would be trained on.
 */
import { Schema } from 'effect';

const Text = Schema.String;
const NonEmptyText = Schema.String.check(Schema.isNonEmpty());

/** A document of a text corpus (pretraining, membership inference). */
export const TextRow = Schema.Struct({
  text: NonEmptyText,
  id: Schema.optional(Schema.String),
  client: Schema.optional(Schema.String),
});
export type TextRow = typeof TextRow.Type;

/** Supervised fine-tuning pair; the loss covers the completion only. */
export const PromptCompletion = Schema.Struct({
  prompt: Text,
  completion: NonEmptyText,
  id: Schema.optional(Schema.String),
});
export type PromptCompletion = typeof PromptCompletion.Type;

/** The prompt/chosen/rejected layout of TRL; `tie: true` marks a pair judged equal. */
export const PreferencePair = Schema.Struct({
  prompt: Text,
  chosen: NonEmptyText,
  rejected: NonEmptyText,
  tie: Schema.optional(Schema.Boolean),
  id: Schema.optional(Schema.String),
});
export type PreferencePair = typeof PreferencePair.Type;

export const Candidate = Schema.Struct({
  text: NonEmptyText,
  /** Higher is better. */
  score: Schema.Finite,
  id: Schema.optional(Schema.String),
});
export type Candidate = typeof Candidate.Type;

/** Scored candidates for one prompt; `derivePairs` turns them into wins and ties by a threshold. */
export const RatedComparison = Schema.Struct({
  prompt: Text,
  candidates: Schema.Array(Candidate).check(Schema.isMinLength(2)),
  id: Schema.optional(Schema.String),
});
export type RatedComparison = typeof RatedComparison.Type;

/** A question-answer row of a forget, retain or holdout set, with optional evaluation variants. */
export const QaRow = Schema.Struct({
  question: NonEmptyText,
  answer: NonEmptyText,
  paraphrasedQuestion: Schema.optional(Schema.String),
  paraphrasedAnswer: Schema.optional(Schema.String),
  perturbedAnswers: Schema.optional(Schema.Array(Schema.String)),
});
export type QaRow = typeof QaRow.Type;

export const MultipleChoice = Schema.Struct({
  question: NonEmptyText,
  options: Schema.Array(Schema.String).check(Schema.isMinLength(2)),
  answer: NonEmptyText,
});
export type MultipleChoice = typeof MultipleChoice.Type;

/** A classification example tagged with its task and, for federated runs, its client. */
export const LabelledExample = Schema.Struct({
  text: NonEmptyText,
  label: Schema.Union([Schema.Finite, Schema.String]),
  task: Schema.optional(Schema.String),
  client: Schema.optional(Schema.String),
});
export type LabelledExample = typeof LabelledExample.Type;

export const Turn = Schema.Struct({
  role: NonEmptyText,
  content: Text,
  reward: Schema.optional(Schema.Finite),
});

/** A dialogue with an optional reward per turn. */
export const MultiTurn = Schema.Struct({
  turns: Schema.Array(Turn).check(Schema.isMinLength(1)),
  id: Schema.optional(Schema.String),
});
export type MultiTurn = typeof MultiTurn.Type;

/** A prompt and the completion a model is trained to produce after it. */
export interface Sequence {
  prompt: string;
  completion: string;
}

export interface KindSpec<A> {
  readonly schema: Schema.Decoder<A>;
  /** Strings per field, for length statistics. */
  texts(row: A): Record<string, readonly string[]>;
  /** Sequences a trainer would tokenize. An empty prompt means the whole text is completion. */
  sequences(row: A): Sequence[];
  /** 1 when the row is a tie, else 0. */
  isTie(row: A): number;
}

const noTie = (): number => 0;

/** The table of dataset kinds. Add a kind by adding its schema and these three functions. */
export const kinds = {
  text: {
    schema: TextRow,
    texts: (r) => ({ text: [r.text] }),
    sequences: (r) => [{ prompt: '', completion: r.text }],
    isTie: noTie,
  } satisfies KindSpec<TextRow>,
  'prompt-completion': {
    schema: PromptCompletion,
    texts: (r) => ({ prompt: [r.prompt], completion: [r.completion] }),
    sequences: (r) => [{ prompt: r.prompt, completion: r.completion }],
    isTie: noTie,
  } satisfies KindSpec<PromptCompletion>,
  preference: {
    schema: PreferencePair,
    texts: (r) => ({ prompt: [r.prompt], chosen: [r.chosen], rejected: [r.rejected] }),
    sequences: (r) => [
      { prompt: r.prompt, completion: r.chosen },
      { prompt: r.prompt, completion: r.rejected },
    ],
    isTie: (r) => (r.tie === true ? 1 : 0),
  } satisfies KindSpec<PreferencePair>,
  'rated-comparison': {
    schema: RatedComparison,
    texts: (r) => ({ prompt: [r.prompt], candidates: r.candidates.map((c) => c.text) }),
    sequences: (r) => r.candidates.map((c) => ({ prompt: r.prompt, completion: c.text })),
    isTie: noTie,
  } satisfies KindSpec<RatedComparison>,
  qa: {
    schema: QaRow,
    texts: (r) => ({ question: [r.question], answer: [r.answer] }),
    sequences: (r) => [{ prompt: r.question, completion: r.answer }],
    isTie: noTie,
  } satisfies KindSpec<QaRow>,
  'multiple-choice': {
    schema: MultipleChoice,
    texts: (r) => ({ question: [r.question], options: r.options, answer: [r.answer] }),
    sequences: (r) => [{ prompt: r.question, completion: r.answer }],
    isTie: noTie,
  } satisfies KindSpec<MultipleChoice>,
  labelled: {
    schema: LabelledExample,
    texts: (r) => ({ text: [r.text] }),
    sequences: (r) => [{ prompt: '', completion: r.text }],
    isTie: noTie,
  } satisfies KindSpec<LabelledExample>,
  'multi-turn': {
    schema: MultiTurn,
    texts: (r) => ({ content: r.turns.map((t) => t.content) }),
    // The last turn is the completion; earlier turns form its prompt.
    sequences: (r) => [
      {
        prompt: r.turns
          .slice(0, -1)
          .map((t) => t.content)
          .join(''),
        completion: r.turns[r.turns.length - 1].content,
      },
    ],
    isTie: noTie,
  } satisfies KindSpec<MultiTurn>,
};

export type KindName = keyof typeof kinds;

/** Row type of each kind, e.g. `RowOf<'preference'>` is `PreferencePair`. */
export type RowOf<K extends KindName> = (typeof kinds)[K] extends KindSpec<infer A> ? A : never;

export const kindNames = Object.keys(kinds) as KindName[];
