/**
 * Errors raised by @lab/trainer. Each is a class with a `_tag` and the fields a caller needs; the
 * message says what was wrong, with which value, and what to do. The CLI prints `message` as one line.
 */

/** One problem found while decoding a method's configuration. */
export interface ConfigIssue {
  /** Dotted path of the field, such as `train.lr`. */
  field: string;
  /** The value that was given (undefined when the key was missing). */
  value: unknown;
  detail: string;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A method's configuration did not decode; nothing has run yet. */
export class ConfigError extends Error {
  readonly _tag = 'ConfigError';
  readonly field: string;
  readonly value: unknown;

  constructor(
    readonly method: string,
    readonly issues: readonly ConfigIssue[],
    readonly source = 'config',
  ) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).map((i) => i.field).join(', ')})` : '';
    super(`${method} ${source}: field "${first.field}" = ${show(first.value)}: ${first.detail}${more}. Fix the field in the config file; \`lab train ${method} --help\` lists every field`);
    this.name = 'ConfigError';
    this.field = first.field;
    this.value = first.value;
  }
}

/** `lab train <name>` found no installed method of that name. */
export class MethodNotFoundError extends Error {
  readonly _tag = 'MethodNotFoundError';
  constructor(
    readonly method: string,
    readonly available: readonly string[],
  ) {
    super(`no method named "${method}"; installed methods: ${available.join(', ') || 'none'}. Install the package that provides it (npm install @lab/${method}) or check the spelling`);
    this.name = 'MethodNotFoundError';
  }
}

export type CheckpointProblem = 'missing' | 'corrupt' | 'format' | 'mismatch';

/** A checkpoint is absent, damaged, written by another format version, or does not fit the run. */
export class CheckpointError extends Error {
  readonly _tag = 'CheckpointError';
  constructor(
    readonly path: string,
    readonly problem: CheckpointProblem,
    detail: string,
  ) {
    super(`checkpoint ${path} is ${problem === 'format' ? 'in an unsupported format' : problem}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

/** The loss, one of its terms or the gradient norm became NaN or infinite. */
export class NonFiniteError extends Error {
  readonly _tag = 'NonFiniteError';
  constructor(
    readonly stage: string,
    readonly step: number,
    /** Name of the term that went bad: `loss`, a term the loss function returned, or `gradNorm`. */
    readonly term: string,
    readonly value: number,
    /** Directory of the newest checkpoint written before the bad step, or null when there is none. */
    readonly lastCheckpoint: string | null,
  ) {
    const resume = lastCheckpoint ? `last good checkpoint: ${lastCheckpoint}` : 'no checkpoint was written before it';
    super(`${term} became ${value} at step ${step} of stage "${stage}"; ${resume}. Lower the learning rate, enable clipping or check the data, then resume`);
    this.name = 'NonFiniteError';
  }
}

/** The run was interrupted (SIGINT) after writing a checkpoint. */
export class InterruptedError extends Error {
  readonly _tag = 'InterruptedError';
  constructor(
    readonly stage: string,
    readonly step: number,
    readonly checkpoint: string | null,
  ) {
    super(`interrupted at step ${step} of stage "${stage}"; ${checkpoint ? `saved ${checkpoint}` : 'nothing to save yet'}. Continue with --resume`);
    this.name = 'InterruptedError';
  }
}

/** A reference model setup that cannot work, found when the Reference is built. */
export class ReferenceSetupError extends Error {
  readonly _tag = 'ReferenceSetupError';
  constructor(
    readonly mode: string,
    detail: string,
  ) {
    super(`reference mode "${mode}": ${detail}`);
    this.name = 'ReferenceSetupError';
  }
}

/** A file or directory named in the configuration or on the command line does not exist or is unusable. */
export class PathError extends Error {
  readonly _tag = 'PathError';
  constructor(
    /** Purpose of the path, such as `model.path` or `--config`. */
    readonly what: string,
    readonly value: string,
    detail: string,
  ) {
    super(`${what} = ${JSON.stringify(value)}: ${detail}`);
    this.name = 'PathError';
  }
}

/** A run directory cannot be used as asked (exists without --resume, missing files for eval/report). */
export class RunDirError extends Error {
  readonly _tag = 'RunDirError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`run directory ${path}: ${detail}`);
    this.name = 'RunDirError';
  }
}

/** A backend named by --backend is not registered or cannot start here. */
export class BackendChoiceError extends Error {
  readonly _tag = 'BackendChoiceError';
  constructor(
    readonly backend: string,
    readonly available: readonly string[],
    detail: string,
  ) {
    super(`backend "${backend}" ${detail}; available here: ${available.join(', ')}. Pass --backend ${available[0] ?? 'cpu'}`);
    this.name = 'BackendChoiceError';
  }
}

/** Every error class of this package, for `instanceof` checks in the CLI. */
export type TrainerError =
  | ConfigError
  | MethodNotFoundError
  | CheckpointError
  | NonFiniteError
  | InterruptedError
  | ReferenceSetupError
  | PathError
  | RunDirError
  | BackendChoiceError;

export function isTrainerError(error: unknown): error is TrainerError {
  return error instanceof Error && '_tag' in error && typeof (error as { _tag: unknown })._tag === 'string';
}
