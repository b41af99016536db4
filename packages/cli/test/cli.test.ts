import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '@lab/data/node';
import { sftConfig } from '@lab/trainer';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lab, oneLine, tempDir, tinyConfig, writeConfig } from './helpers.js';

const dir = tempDir('cli');
let runDir: string;
let trainResult: ReturnType<typeof lab>;

beforeAll(() => {
  const config = writeConfig(dir.path, 'tiny.json', tinyConfig());
  runDir = join(dir.path, 'runs', 'tiny');
  trainResult = lab(['train', 'sft', '--config', config, '--out', runDir, '--backend', 'cpu', '--steps', '4']);
});

afterAll(() => dir.remove());

describe('lab train', () => {
  test('finishes and fills the run directory', () => {
    expect(trainResult.code, trainResult.stderr).toBe(0);
    for (const name of ['config.json', 'manifest.json', 'metrics.jsonl', 'samples.jsonl', 'eval.json', 'report.html', 'run.log']) {
      expect(existsSync(join(runDir, name)), name).toBe(true);
    }
  });

  test('--steps replaces the configured count', () => {
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
    expect(Math.max(...steps)).toBe(4);
  });

  test('progress goes to the log when not a terminal', () => {
    expect(trainResult.stderr).toMatch(/\[main\] step 4\/4 loss \d/);
    expect(readFileSync(join(runDir, 'run.log'), 'utf8')).toMatch(/INFO +finished sft/);
  });

  test('--help lists every config field with its default', () => {
    const r = lab(['train', 'sft', '--help']);
    expect(r.code).toBe(0);
    for (const f of sftConfig.fields) expect(r.stdout, f.path).toContain(`${f.path} `);
    expect(r.stdout).toContain('train.lr');
    expect(r.stdout).toMatch(/train\.lr\s+number > 0, default 0\.001 \[per step\]/);
  });

  test('bad config field is one line naming it', () => {
    const config = writeConfig(dir.path, 'bad.json', { train: { lr: -1 } });
    const r = lab(['train', 'sft', '--config', config, '--out', join(dir.path, 'runs', 'bad')]);
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^lab: sft .*field "train\.lr" = -1/);
  });

  test('unknown method names the installed ones', () => {
    const r = lab(['train', 'nosuch']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/no method named "nosuch"; installed methods: .*sft/);
  });

  test('missing config file', () => {
    const r = lab(['train', 'sft', '--config', join(dir.path, 'absent.json')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/--config = ".*absent\.json": does not exist/);
  });

  test('bad flag value is a usage error', () => {
    const r = lab(['train', 'sft', '--steps', 'many']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--steps/);
  });
});

describe('lab info', () => {
  test('json lists the cpu backend', () => {
    const r = lab(['info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    const cpu = info.backends.find((b: { name: string }) => b.name === 'cpu');
    expect(cpu.available).toBe(true);
    expect(info.methods.map((m: { name: string }) => m.name)).toContain('sft');
  });
});

describe('lab generate', () => {
  test('greedy decoding repeats exactly', () => {
    const args = ['generate', '--model', dataPath('stories260K/stories260K.bin'), '--prompt', 'Once upon a time', '--max-tokens', '12', '--temperature', '0', '--backend', 'cpu'];
    const a = lab(args);
    const b = lab(args);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith('Once upon a time')).toBe(true);
    expect(a.stdout.length).toBeGreaterThan('Once upon a time'.length + 5);
    expect(b.stdout).toBe(a.stdout);
  });

  test('from a run directory with its tokenizer', () => {
    const r = lab(['generate', '--model', runDir, '--prompt', 'RO', '--max-tokens', '4', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('RO')).toBe(true);
  });

  test('missing model is one line', () => {
    const r = lab(['generate', '--model', join(dir.path, 'none.bin')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/--model = ".*none\.bin"/);
  });
});

describe('lab data check', () => {
  test('bad row is named with its line', () => {
    const file = join(dir.path, 'pairs.jsonl');
    writeFileSync(file, `${JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' })}\n${JSON.stringify({ prompt: 'p', chosen: '' , rejected: 'b' })}\n`);
    const r = lab(['data', 'check', file, '--kind', 'preference']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 rejected/);
    expect(r.stdout).toMatch(/line 2, field chosen/);
  });

  test('clean file passes', () => {
    const file = join(dir.path, 'qa.jsonl');
    writeFileSync(file, `${JSON.stringify({ question: 'Who?', answer: 'Me.' })}\n${JSON.stringify({ question: 'Where?', answer: 'Here.' })}\n`);
    const r = lab(['data', 'check', file, '--kind', 'qa', '--tokenizer', 'bytes', '--max-length', '8']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 loaded, 0 rejected/);
  });
});

describe('lab eval and report', () => {
  test('eval rewrites eval.json', () => {
    const before = JSON.parse(readFileSync(join(runDir, 'eval.json'), 'utf8'));
    const r = lab(['eval', runDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/validLoss = \d/);
    const after = JSON.parse(readFileSync(join(runDir, 'eval.json'), 'utf8'));
    expect(after.metrics).toEqual(before.metrics);
  });

  test('report of two runs writes one page', () => {
    const out = join(dir.path, 'compare.html');
    const r = lab(['report', runDir, runDir, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<svg');
  });

  test('report of a missing run', () => {
    const r = lab(['report', join(dir.path, 'nope')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/does not exist/);
  });
});

describe('lab demo', () => {
  test('lists demos or says there are none', () => {
    const r = lab(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(No demos are registered|demos:)/);
  });
});
