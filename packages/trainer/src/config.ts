/**
 * Method configuration: a tree of fields, each an Effect Schema with a default, a description and a
 * unit. The tree builds one strict Struct (unknown keys are errors, so a typo never passes silently)
 * and a flat list of fields for `--help`. Decoding happens before anything runs; every problem
 * becomes a ConfigIssue naming the dotted field and the value given.
 */
import { Cause, Effect, Exit, Schema, SchemaIssue } from 'effect';
import { ConfigError, type ConfigIssue } from './errors.js';

/** One leaf of a configuration, as `--help` shows it. */
export interface FieldInfo {
  /** Dotted path, such as `train.lr`. */
  path: string;
  /** A short type label: `number`, `integer >= 1`, `"cosine" | "constant"`, `string | null`. */
  type: string;
  default: unknown;
  description: string;
  unit?: string;
}

export interface FieldNode<A> {
  readonly kind: 'field';
  readonly schema: Schema.Top;
  readonly default: A;
  readonly description: string;
  readonly unit?: string;
  readonly type: string;
}

export interface GroupNode<F extends Fields> {
  readonly kind: 'group';
  readonly fields: F;
  readonly description: string;
}

export type ConfigNode = FieldNode<unknown> | GroupNode<Fields>;
export type Fields = { readonly [key: string]: ConfigNode };

/** The decoded type of a field tree. */
export type ConfigOf<F extends Fields> = {
  readonly [K in keyof F]: F[K] extends FieldNode<infer A> ? A : F[K] extends GroupNode<infer G> ? ConfigOf<G> : never;
};

export interface ConfigSpec<C> {
  /** The strict Struct; decoding `{}` gives the defaults. */
  readonly schema: Schema.Codec<C, unknown>;
  readonly fields: readonly FieldInfo[];
  readonly defaults: C;
}

export interface FieldOptions {
  unit?: string;
  /** Overrides the type label shown in `--help`. */
  type?: string;
}

/** A field from any Effect Schema whose Type is A. */
export function field<A>(schema: Schema.Top & { readonly Type: A }, defaultValue: A, description: string, options: FieldOptions = {}): FieldNode<A> {
  return { kind: 'field', schema, default: defaultValue, description, unit: options.unit, type: options.type ?? typeLabel(defaultValue) };
}

function typeLabel(value: unknown): string {
  if (value === null) return 'string | null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

interface RangeOptions extends FieldOptions {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
}

function rangeLabel(base: string, o: RangeOptions): string {
  const parts = [base];
  if (o.min !== undefined) parts.push(`>= ${o.min}`);
  if (o.above !== undefined) parts.push(`> ${o.above}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  return parts.join(' ');
}

function ranged(base: Schema.Number | typeof Schema.Int | typeof Schema.Finite, o: RangeOptions): Schema.Top & { readonly Type: number } {
  const checks = [];
  if (o.min !== undefined) checks.push(Schema.isGreaterThanOrEqualTo(o.min));
  if (o.above !== undefined) checks.push(Schema.isGreaterThan(o.above));
  if (o.max !== undefined) checks.push(Schema.isLessThanOrEqualTo(o.max));
  return checks.length === 0 ? base : (base as Schema.Number).check(...(checks as [ReturnType<typeof Schema.isGreaterThan>]));
}

/** A finite number, optionally bounded. */
export function number(defaultValue: number, description: string, options: RangeOptions = {}): FieldNode<number> {
  return field(ranged(Schema.Finite, options), defaultValue, description, { ...options, type: options.type ?? rangeLabel('number', options) });
}

/** An integer, optionally bounded. */
export function integer(defaultValue: number, description: string, options: RangeOptions = {}): FieldNode<number> {
  return field(ranged(Schema.Int, options), defaultValue, description, { ...options, type: options.type ?? rangeLabel('integer', options) });
}

export function string(defaultValue: string, description: string, options: FieldOptions = {}): FieldNode<string> {
  return field(Schema.String, defaultValue, description, options);
}

/** A string that may be left out (null), such as an optional file path. */
export function optionalString(description: string, options: FieldOptions = {}): FieldNode<string | null> {
  return field(Schema.NullOr(Schema.String), null, description, { ...options, type: options.type ?? 'string | null' });
}

/** An integer that may be left out (null). */
export function optionalInteger(description: string, options: RangeOptions = {}): FieldNode<number | null> {
  return field(Schema.NullOr(ranged(Schema.Int, options)), null, description, { ...options, type: options.type ?? `${rangeLabel('integer', options)} | null` });
}

export function boolean(defaultValue: boolean, description: string, options: FieldOptions = {}): FieldNode<boolean> {
  return field(Schema.Boolean, defaultValue, description, options);
}

/** One of a fixed list of strings. */
export function choice<const L extends readonly [string, ...string[]]>(values: L, defaultValue: L[number], description: string, options: FieldOptions = {}): FieldNode<L[number]> {
  return field(Schema.Literals(values), defaultValue, description, { ...options, type: options.type ?? values.map((v) => JSON.stringify(v)).join(' | ') });
}

export function stringList(defaultValue: readonly string[], description: string, options: FieldOptions = {}): FieldNode<readonly string[]> {
  return field(Schema.Array(Schema.String), defaultValue, description, { ...options, type: options.type ?? 'string[]' });
}

export function group<F extends Fields>(description: string, fields: F): GroupNode<F> {
  return { kind: 'group', fields, description };
}

function structOf(fields: Fields): Schema.Top {
  const props: Record<string, Schema.Top> = {};
  for (const [key, node] of Object.entries(fields)) {
    if (node.kind === 'field') {
      props[key] = (node.schema as Schema.Codec<unknown>).pipe(Schema.withDecodingDefaultType(Effect.succeed(node.default)));
    } else {
      // A missing group decodes from {}, so each of its fields takes its own default.
      props[key] = (structOf(node.fields) as Schema.Codec<unknown>).pipe(Schema.withDecodingDefault(Effect.succeed({})));
    }
  }
  return Schema.Struct(props as Schema.Struct.Fields);
}

function flatten(fields: Fields, prefix: string, out: FieldInfo[]): FieldInfo[] {
  for (const [key, node] of Object.entries(fields)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (node.kind === 'group') flatten(node.fields, path, out);
    else out.push({ path, type: node.type, default: node.default, description: node.description, ...(node.unit ? { unit: node.unit } : {}) });
  }
  return out;
}

/** Builds the schema, field list and defaults of a configuration tree. */
export function defineConfig<F extends Fields>(fields: F): ConfigSpec<ConfigOf<F>> {
  const schema = structOf(fields) as unknown as Schema.Codec<ConfigOf<F>, unknown>;
  const list = flatten(fields, '', []);
  const defaults = decodeOrThrow(schema, {}, list, '<defaults>', 'defaults');
  return { schema, fields: list, defaults };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function decodeOrThrow<C>(schema: Schema.Codec<C, unknown>, input: unknown, fields: readonly FieldInfo[], method: string, source: string): C {
  const exit = Schema.decodeUnknownExit(schema)(input, { errors: 'all', onExcessProperty: 'error' });
  if (Exit.isSuccess(exit)) return exit.value;
  const error = Cause.squash(exit.cause);
  if (!Schema.isSchemaError(error)) throw error;
  const known = fields.map((f) => f.path);
  const formatted = SchemaIssue.makeFormatterStandardSchemaV1()(error.issue);
  const issues: ConfigIssue[] = formatted.issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? p.key : p)) as PropertyKey[];
    const name = path.map(String).join('.');
    const unknownKey = /excess property/i.test(issue.message);
    const detail = unknownKey ? `is not a field of this method; known fields: ${nearest(name, known)}` : issue.message;
    return { field: name || '(root)', value: valueAt(input, path), detail };
  });
  throw new ConfigError(method, issues, source);
}

/** The known fields that share the unknown field's group, or all of them when none does. */
function nearest(name: string, known: readonly string[]): string {
  const prefix = name.includes('.') ? name.slice(0, name.lastIndexOf('.') + 1) : '';
  const siblings = known.filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'));
  const list = siblings.length > 0 ? siblings : known;
  return list.slice(0, 16).join(', ') + (list.length > 16 ? ', ...' : '');
}

/**
 * Decodes a configuration object (parsed JSON) against a method's spec, filling defaults. Throws a
 * ConfigError naming every bad field and its value.
 */
export function decodeConfig<C>(spec: ConfigSpec<C>, input: unknown, method: string, source = 'config'): C {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(method, [{ field: '(root)', value: input, detail: 'the configuration must be a JSON object' }], source);
  }
  return decodeOrThrow(spec.schema, input, spec.fields, method, source);
}

/** Renders the field list as aligned text lines for `--help`. */
export function formatFields(fields: readonly FieldInfo[]): string[] {
  const width = Math.min(32, Math.max(...fields.map((f) => f.path.length), 4));
  return fields.map((f) => {
    const unit = f.unit ? ` [${f.unit}]` : '';
    return `${f.path.padEnd(width)}  ${f.type}, default ${JSON.stringify(f.default)}${unit}. ${f.description}`;
  });
}

/** Sets a dotted path in a plain object tree, creating groups on the way (for command-line overrides). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}
