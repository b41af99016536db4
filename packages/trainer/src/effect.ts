/**
 * The Effect API of the trainer: the same operations as the Promise API, with typed errors in the
 * error channel and models as scoped resources that are freed when their scope closes.
 *
 *   const program = Effect.scoped(Effect.gen(function* () {
 *     const { model } = yield* acquireModel('data/stories260K/stories260K.bin');
 *     ...
 *   }));
 */
import { Effect, type Scope } from 'effect';
import { isTrainerError, type TrainerError } from './errors.js';
import { type LoadedModel, loadLanguageModel } from './inputs.js';
import type { EvalResult } from './method.js';
import { writeComparison } from './report.js';
import { evaluateRun, type RunOptions, type RunOutcome, runMethod } from './runner.js';

/** A failure of the trainer: one of its typed errors, or an unexpected Error kept as it is. */
export type TrainerFailure = TrainerError | Error;

function toFailure(error: unknown): TrainerFailure {
  if (isTrainerError(error)) return error;
  return error instanceof Error ? error : new Error(String(error));
}

/** runMethod as an Effect. */
export const trainEffect = (options: RunOptions): Effect.Effect<RunOutcome, TrainerFailure> => Effect.tryPromise({ try: () => runMethod(options), catch: toFailure });

/** evaluateRun as an Effect. */
export const evaluateRunEffect = (runDir: string, options: Parameters<typeof evaluateRun>[1] = {}): Effect.Effect<EvalResult, TrainerFailure> =>
  Effect.tryPromise({ try: () => evaluateRun(runDir, options), catch: toFailure });

/** writeComparison as an Effect. */
export const reportEffect = (runDirs: readonly string[], out: string): Effect.Effect<string, TrainerFailure> => Effect.try({ try: () => writeComparison(runDirs, out), catch: toFailure });

/** Loads a language model that is disposed when the enclosing scope closes. */
export const acquireModel = (path: string, options: { backend?: string; roots?: readonly string[] } = {}): Effect.Effect<LoadedModel, TrainerFailure, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => loadLanguageModel('model', path, options.roots ?? [process.cwd()], options.backend ?? 'cpu'), catch: toFailure }),
    (loaded) => Effect.sync(() => loaded.model.dispose()),
  );
