/**
 * The `lab` command tree in effect/cli. `lab train` has one subcommand per installed method, so
 * `lab train <method> --help` lists that method's configuration fields with defaults and units.
 */
import { kindNames } from '@lab/data';
import { type AnyMethod, formatFields, type LogLevel } from '@lab/trainer';
import { Effect, Option } from 'effect';
import { Argument, Command, Flag } from 'effect/cli';
import * as actions from './actions.js';

/** A failure inside a command's action (as opposed to a usage error found by the parser). */
export class ActionFailed extends Error {
  readonly _tag = 'ActionFailed';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ActionFailed';
  }
}

/** Exit status set by an action that finished without throwing (such as a data check that found bad rows). */
export const status = { exitCode: 0 };

function act(run: () => Promise<unknown>): Effect.Effect<void, ActionFailed> {
  return Effect.tryPromise({ try: async () => void (await run()), catch: (error) => new ActionFailed(error) });
}

const backendFlag = Flag.Literals('backend', ['auto', 'cpu', 'wasm', 'webgpu']).pipe(Flag.withDefault('auto' as const), Flag.withDescription('tensor backend; auto takes a hardware GPU, else wasm, else cpu'));
const quietFlag = Flag.Boolean('quiet').pipe(Flag.withDefault(false), Flag.withDescription('print warnings and errors only'));
const verboseFlag = Flag.Boolean('verbose').pipe(Flag.withDefault(false), Flag.withDescription('print debug lines too'));

function logLevel(quiet: boolean, verbose: boolean): LogLevel {
  return verbose ? 'debug' : quiet ? 'warn' : 'info';
}

function describeMethod(method: AnyMethod): string {
  const lines = [method.summary];
  if (method.paper) lines.push(`Paper: ${method.paper.title}${method.paper.authors ? `, ${method.paper.authors}` : ''}${method.paper.year ? ` (${method.paper.year})` : ''}${method.paper.url ? `, ${method.paper.url}` : ''}`);
  for (const need of method.data) lines.push(`Data "${need.name}": ${need.kinds.join(' | ')}. ${need.description}`);
  for (const role of method.models) lines.push(`Model "${role.name}" (${role.kind}${role.trainable ? ', trained' : ', frozen'}): ${role.madeBy}`);
  lines.push('', 'Configuration fields (set them in the --config JSON file; dotted names are nested objects):');
  lines.push(...formatFields(method.config.fields).map((l) => `  ${l}`));
  return lines.join('\n');
}

function trainCommand(method: AnyMethod) {
  return Command.make(
    method.name,
    {
      config: Flag.String('config').pipe(Flag.optional, Flag.withDescription('JSON configuration file (fields below; also "seed", "backend", "name")')),
      out: Flag.String('out').pipe(Flag.optional, Flag.withDescription('run directory (default runs/<method>-<date>-<time>)')),
      backend: backendFlag,
      seed: Flag.Int('seed').pipe(Flag.optional, Flag.withDescription('seed of data order, initialization and sampling (default 0)')),
      steps: Flag.Int('steps').pipe(Flag.optional, Flag.withDescription('optimizer steps of every stage, replacing the configured count')),
      resume: Flag.Boolean('resume').pipe(Flag.withDefault(false), Flag.withDescription('continue the run in --out (or the newest run of this method) from its newest checkpoint')),
      quiet: quietFlag,
      verbose: verboseFlag,
    },
    (a) =>
      act(() =>
        actions.train({
          method: method.name,
          config: Option.getOrNull(a.config),
          out: Option.getOrNull(a.out),
          backend: a.backend,
          seed: Option.getOrNull(a.seed),
          steps: Option.getOrNull(a.steps),
          resume: a.resume,
          logLevel: logLevel(a.quiet, a.verbose),
        }),
      ),
  ).pipe(Command.withDescription(describeMethod(method)), Command.withShortDescription(method.summary));
}

export function buildCommand(methods: readonly AnyMethod[]) {
  const info = Command.make('info', { json: Flag.Boolean('json').pipe(Flag.withDefault(false), Flag.withDescription('print JSON')) }, (a) =>
    act(async () => {
      const result = await actions.info();
      actions.processIo.out(a.json ? `${JSON.stringify(result, null, 2)}\n` : actions.formatInfo(result));
    }),
  ).pipe(Command.withDescription('Backends registered and available here, the adapter and its limits, installed methods'));

  const train = Command.make('train').pipe(
    Command.withSubcommands(methods.map(trainCommand)),
    Command.withDescription(`Train a method: lab train <method> [--config FILE.json] [--out DIR] [--steps N] [--resume]. Methods: ${methods.map((m) => m.name).join(', ')}`),
  );

  const generate = Command.make(
    'generate',
    {
      model: Flag.String('model').pipe(Flag.withDescription('checkpoint directory, run directory or llama2.c .bin file')),
      tokenizer: Flag.String('tokenizer').pipe(Flag.optional, Flag.withDescription("tokenizer file or 'bytes' (default: the run's, or the tok*.bin beside a .bin model)")),
      prompt: Flag.String('prompt').pipe(Flag.withDefault(''), Flag.withDescription('text to continue')),
      maxTokens: Flag.Int('max-tokens').pipe(Flag.withDefault(128), Flag.withDescription('tokens to generate')),
      temperature: Flag.Finite('temperature').pipe(Flag.withDefault(1), Flag.withDescription('sampling temperature; 0 is greedy')),
      seed: Flag.Int('seed').pipe(Flag.withDefault(0), Flag.withDescription('sampling seed')),
      backend: backendFlag,
    },
    (a) =>
      act(() =>
        actions.generate({ model: a.model, tokenizer: Option.getOrNull(a.tokenizer), prompt: a.prompt, maxTokens: a.maxTokens, temperature: a.temperature, seed: a.seed, backend: a.backend }),
      ),
  ).pipe(Command.withDescription('Generate text from a trained model'));

  const check = Command.make(
    'check',
    {
      file: Argument.String('file').pipe(Argument.withDescription('data file (.jsonl, .json, .tsv, .txt, optionally .gz)')),
      kind: Flag.Literals('kind', kindNames).pipe(Flag.withDescription('dataset kind')),
      tokenizer: Flag.String('tokenizer').pipe(Flag.optional, Flag.withDescription("tokenizer for token lengths ('bytes' or a file)")),
      maxLength: Flag.Int('max-length').pipe(Flag.optional, Flag.withDescription('count rows longer than this many tokens')),
    },
    (a) =>
      act(async () => {
        const ok = await actions.dataCheck({ file: a.file, kind: a.kind, tokenizer: Option.getOrNull(a.tokenizer), maxLength: Option.getOrNull(a.maxLength) });
        if (!ok) status.exitCode = 1;
      }),
  ).pipe(Command.withDescription('Preflight a data file: rows, rejections with file/line/field, lengths, truncation'));
  const data = Command.make('data').pipe(Command.withSubcommands([check]), Command.withDescription('Data tools'));

  const evalCommand = Command.make(
    'eval',
    { runDir: Argument.String('run-dir'), backend: Flag.String('backend').pipe(Flag.optional, Flag.withDescription('backend (default: the one the run used)')) },
    (a) => act(() => actions.evalRun(a.runDir, { backend: Option.getOrUndefined(a.backend) })),
  ).pipe(Command.withDescription("Re-run a run's evaluation from its newest checkpoint; rewrites eval.json and report.html"));

  const reportCommand = Command.make(
    'report',
    { runDirs: Argument.String('run-dir').pipe(Argument.variadic({ min: 1 })), out: Flag.String('out').pipe(Flag.optional, Flag.withDescription('comparison page (default runs/comparison.html)')) },
    (a) => act(async () => actions.report(a.runDirs, Option.getOrNull(a.out))),
  ).pipe(Command.withDescription('One run: refresh its report.html. Several: write one comparison page'));

  const demoCommand = Command.make(
    'demo',
    { name: Argument.String('name').pipe(Argument.optional), quick: Flag.Boolean('quick').pipe(Flag.withDefault(false), Flag.withDescription('a short version of the demo')), backend: backendFlag },
    (a) => act(() => actions.demo(Option.getOrNull(a.name), { quick: a.quick, backend: a.backend })),
  ).pipe(Command.withDescription('List the registered demos, or run one'));

  return Command.make('lab').pipe(
    Command.withSubcommands([info, train, generate, data, evalCommand, reportCommand, demoCommand]),
    Command.withDescription('Train and evaluate reference-model methods for language models'),
  );
}
