// A run killed with SIGKILL at several points and resumed each time must log exactly what an
// uninterrupted run logs (cpu backend): same metrics, same samples, same final evaluation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { lab, labAsync, tempDir, tinyConfig, writeConfig } from './helpers.js';

const dir = tempDir('resume');
afterAll(() => dir.remove());

function jsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** metrics.jsonl without wall-clock timing. */
function metrics(run: string): unknown[] {
  return jsonLines(join(run, 'metrics.jsonl')).map(({ timing: _timing, ...rest }) => rest);
}

function checkpointSteps(run: string): number[] {
  const folder = join(run, 'checkpoints', 'main');
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((n) => /^step-\d+$/.test(n)).map((n) => Number(n.slice(5)));
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('resume after SIGKILL', () => {
  test('matches an uninterrupted run bit for bit', async () => {
    const config = writeConfig(dir.path, 'tiny.json', tinyConfig({ steps: 30, logEvery: 3, evalEvery: 6, checkpointEvery: 2 }));
    const base = ['train', 'sft', '--config', config, '--backend', 'cpu', '--quiet'];

    const full = join(dir.path, 'full');
    const reference = lab([...base, '--out', full]);
    expect(reference.code, reference.stderr).toBe(0);

    const killed = join(dir.path, 'killed');
    const lastStep = () => Math.max(0, ...jsonLines(join(killed, 'metrics.jsonl')).map((l) => l.step as number));
    // Kill points: right after the first metrics line; when a checkpoint at step >= 12 has landed
    // (possibly while retention deletes an older one); and 7 ms after step 21 was logged (mid-step).
    const kills: { name: string; when: () => boolean; extraMs: number }[] = [
      { name: 'first metrics line', when: () => lastStep() >= 3, extraMs: 0 },
      { name: 'checkpoint landed', when: () => checkpointSteps(killed).some((s) => s >= 12), extraMs: 0 },
      { name: 'mid-step', when: () => lastStep() >= 21, extraMs: 7 },
    ];
    let killedCount = 0;
    for (const [i, kill] of kills.entries()) {
      const run = labAsync([...base, '--out', killed, ...(i > 0 ? ['--resume'] : [])]);
      let done = false;
      run.exited.then(() => {
        done = true;
      });
      while (!done && !kill.when()) await sleep(3);
      if (!done) {
        if (kill.extraMs > 0) await sleep(kill.extraMs);
        run.child.kill('SIGKILL');
      }
      const exit = await run.exited;
      if (exit.signal === 'SIGKILL') killedCount += 1;
      else expect(exit.code, `${kill.name}: ${run.stderr()}`).toBe(0);
    }
    expect(killedCount).toBeGreaterThanOrEqual(2);

    const final = lab([...base, '--out', killed, '--resume']);
    expect(final.code, final.stderr).toBe(0);
    expect(metrics(killed)).toEqual(metrics(full));
    expect(jsonLines(join(killed, 'samples.jsonl'))).toEqual(jsonLines(join(full, 'samples.jsonl')));
    const evalOf = (run: string) => JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')).metrics;
    expect(evalOf(killed)).toEqual(evalOf(full));
    expect(readdirSync(join(killed, 'checkpoints', 'main')).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('SIGINT', () => {
  test('saves a checkpoint, exits 130, resumes', async () => {
    const config = writeConfig(dir.path, 'sigint.json', tinyConfig({ steps: 40, logEvery: 1, evalEvery: 20, checkpointEvery: 20 }));
    const out = join(dir.path, 'sigint');
    const run = labAsync(['train', 'sft', '--config', config, '--out', out, '--backend', 'cpu', '--quiet']);
    let done = false;
    run.exited.then(() => {
      done = true;
    });
    const lastStep = () => Math.max(0, ...jsonLines(join(out, 'metrics.jsonl')).map((l) => l.step as number));
    while (!done && lastStep() < 3) await sleep(3);
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(130);
    const line = run.stderr().split('\n').find((l) => l.startsWith('lab: '));
    expect(line).toMatch(/^lab: interrupted at step \d+ of stage "main"; saved .*step-0000\d\d\. Continue with --resume$/);
    const saved = checkpointSteps(out);
    expect(saved.length).toBeGreaterThan(0);
    expect(Math.max(...saved)).toBeLessThan(40);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('interrupted');

    const resumed = lab(['train', 'sft', '--out', out, '--resume', '--backend', 'cpu', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(checkpointSteps(out)).toContain(40);
  });
});

