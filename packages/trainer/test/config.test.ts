import { describe, expect, test } from 'vitest';
import { ConfigError, choice, decodeConfig, defineConfig, formatFields, group, integer, number, optionalString, sftConfig } from '../src/index.js';

const spec = defineConfig({
  lr: number(1e-3, 'learning rate', { above: 0, unit: 'per step' }),
  steps: integer(10, 'optimizer steps', { min: 1 }),
  schedule: choice(['cosine', 'constant'], 'cosine', 'schedule'),
  data: group('data', { path: optionalString('file'), maxLength: integer(64, 'tokens', { min: 2 }) }),
});

function decodeError(input: unknown): ConfigError {
  try {
    decodeConfig(spec, input, 'toy');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('decodeConfig accepted the input');
}

describe('decodeConfig', () => {
  test('empty object gives the defaults', () => {
    expect(decodeConfig(spec, {}, 'toy')).toEqual({ lr: 1e-3, steps: 10, schedule: 'cosine', data: { path: null, maxLength: 64 } });
  });

  test('given fields override defaults, nested too', () => {
    const config = decodeConfig(spec, { steps: 3, data: { maxLength: 8 } }, 'toy');
    expect(config.steps).toBe(3);
    expect(config.data.maxLength).toBe(8);
    expect(config.data.path).toBeNull();
  });

  test('out of range value names field and value', () => {
    const error = decodeError({ lr: -1 });
    expect(error.field).toBe('lr');
    expect(error.value).toBe(-1);
    expect(error.message).toContain('"lr" = -1');
  });

  test('wrong type in a nested field', () => {
    const error = decodeError({ data: { maxLength: 'long' } });
    expect(error.field).toBe('data.maxLength');
    expect(error.message).toContain('"long"');
  });

  test('non-integer step count is rejected', () => {
    expect(decodeError({ steps: 2.5 }).field).toBe('steps');
  });

  test('unknown key lists the known fields', () => {
    const error = decodeError({ data: { maxLenght: 8 } });
    expect(error.field).toBe('data.maxLenght');
    expect(error.message).toContain('data.maxLength');
  });

  test('every problem is reported', () => {
    const error = decodeError({ lr: 0, steps: 0, schedule: 'linear' });
    expect(error.issues.map((i) => i.field).sort()).toEqual(['lr', 'schedule', 'steps']);
  });

  test('a non-object configuration is rejected', () => {
    expect(decodeError([1, 2]).field).toBe('(root)');
  });
});

describe('formatFields', () => {
  test('lists every leaf with default and unit', () => {
    const lines = formatFields(spec.fields);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^lr\s+number > 0, default 0\.001 \[per step\]\. learning rate$/);
    expect(lines.some((l) => l.startsWith('data.maxLength'))).toBe(true);
  });

  test('sft fields cover its defaults', () => {
    const paths = sftConfig.fields.map((f) => f.path);
    expect(paths).toContain('train.lr');
    expect(paths).toContain('model.init.dim');
    expect(sftConfig.defaults.train.steps).toBe(200);
  });
});
