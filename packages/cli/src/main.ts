/**
 * Entry of the `lab` command: discovers installed methods, builds the command tree, runs it and turns
 * the outcome into an exit status. Errors print as one line (what, which value, what to do); set
 * LAB_DEBUG=1 for the stack.
 *
 * Exit status: 0 done, 1 the action failed, 2 usage error, 130 interrupted after a checkpoint.
 */
import { readFileSync } from 'node:fs';
import { discoverMethods, InterruptedError, listMethods, MethodNotFoundError } from '@lab/trainer';
import { Cause, Effect, Exit } from 'effect';
import { Command } from 'effect/cli';
import { type Io, processIo } from './actions.js';
import { ActionFailed, buildCommand, status } from './commands.js';
import { nodeEnvironment } from './environment.js';

function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The one line printed for a failure. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `lab: ${message.split('\n').join(' ').trim()}`;
}

function report(error: unknown, io: Io): void {
  io.err(`${errorLine(error)}\n`);
  if (process.env.LAB_DEBUG && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
}

/**
 * The whole command as an Effect that succeeds with the exit status. Usage errors are printed by the
 * command's presenter; action failures here, as one line.
 */
export function labEffect(argv: readonly string[], io: Io = processIo): Effect.Effect<number> {
  return Effect.gen(function* () {
    status.exitCode = 0;
    const problems = yield* Effect.promise(() => discoverMethods());
    if (process.env.LAB_DEBUG) for (const p of problems) io.err(`lab: skipped ${p.packageName}: ${p.reason}\n`);
    const methods = (yield* Effect.promise(() => listMethods())).map((m) => m.method);

    // Name the installed methods, which the parser's "unknown subcommand" would not.
    const [command, methodName] = argv;
    if (command === 'train' && methodName && !methodName.startsWith('-') && !methods.some((m) => m.name === methodName)) {
      report(new MethodNotFoundError(methodName, methods.map((m) => m.name)), io);
      return 2;
    }

    const program = Command.runWith(buildCommand(methods), { version: version() })(argv).pipe(Effect.provide(nodeEnvironment));
    const exit = yield* Effect.exit(program);
    if (Exit.isSuccess(exit)) return status.exitCode;
    const error = Cause.squash(exit.cause);
    if (error instanceof ActionFailed) {
      report(error.cause, io);
      return error.cause instanceof InterruptedError ? 130 : 1;
    }
    if (error && typeof error === 'object' && (error as { _tag?: string })._tag === 'ShowHelp') {
      return (error as { errors: unknown[] }).errors.length > 0 ? 2 : 0;
    }
    report(error, io);
    return 2;
  });
}

/** The Promise API of the command: runs `lab <argv>` in this process and resolves to the exit status. */
export function runCli(argv: readonly string[] = process.argv.slice(2), io: Io = processIo): Promise<number> {
  return Effect.runPromise(labEffect(argv, io));
}
