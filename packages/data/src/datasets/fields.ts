import { FieldIssue } from '../load.js';

/** Helpers for ready loaders that read upstream records before their schema check. */
export function asRecord(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FieldIssue(
      '(row)',
      `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

export function stringField(row: Record<string, unknown>, name: string): string {
  const value = row[name];
  if (value === undefined) throw new FieldIssue(name, 'is missing');
  if (typeof value !== 'string') throw new FieldIssue(name, `expected a string, got ${typeof value}`);
  return value;
}

/** Copies the keys that are present, renamed; absent keys stay absent so optional fields stay optional. */
export function renamed(
  row: Record<string, unknown>,
  names: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(names)) if (row[from] !== undefined) out[to] = row[from];
  return out;
}
