/**
 * The services effect/cli needs, made from Node's process without a platform package: arguments come
 * from `runWith`, output goes through Console, and file, terminal-input and child-process services are
 * stubs because no command here reads files through them or prompts. Usage errors print one line
 * instead of the whole help page.
 */
import { Console, Effect, FileSystem, Layer, Path, Stdio, Stream, Terminal } from 'effect';
import { CliOutput } from 'effect/cli';
import { ChildProcessSpawner } from 'effect/process';

const stdio = Stdio.make({
  args: Effect.sync(() => process.argv.slice(2)),
  stdout: () => Effect.die('Stdio.stdout is not used by the lab command') as never,
  stderr: () => Effect.die('Stdio.stderr is not used by the lab command') as never,
  stdin: Stream.empty,
  stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
  stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
});

const terminal = Terminal.make({
  columns: Effect.sync(() => process.stdout.columns ?? 100),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  size: Effect.die('the lab command does not follow terminal resizes'),
  readInput: Effect.die('the lab command does not prompt'),
  readLine: Effect.die('the lab command does not prompt'),
  display: (text) => Effect.sync(() => void process.stdout.write(text)),
});

/** Usage errors as `lab <command>: <problem>` lines plus a pointer to --help. */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function* () {
      const formatter = CliOutput.defaultFormatter({ colors: false });
      switch (event._tag) {
        case 'Help':
          return yield* Console.log(formatter.formatHelpDoc(event.helpDoc));
        case 'Version':
          return yield* Console.log(formatter.formatVersion(event.name, event.version));
        case 'InvalidInvocation': {
          const path = event.commandPath.join(' ');
          for (const error of event.errors) yield* Console.error(`${path}: ${error.message}. Run \`${path} --help\` for usage`);
        }
      }
    }),
};

export const nodeEnvironment = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(ChildProcessSpawner.ChildProcessSpawner, ChildProcessSpawner.make(() => Effect.die('the lab command spawns no processes'))),
  CliOutput.layerPresenter(presenter),
);
