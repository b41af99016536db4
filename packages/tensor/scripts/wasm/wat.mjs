// Small helpers for writing WebAssembly text: constants, local declarations and counted loops.

/** A v128 constant with the same f32 in every lane. */
export function f32x4(value) {
  const text = Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  return `(v128.const f32x4 ${text} ${text} ${text} ${text})`;
}

/** A v128 constant with the same i32 in every lane. */
export function i32x4(value) {
  return `(v128.const i32x4 ${value} ${value} ${value} ${value})`;
}

export function locals(type, names) {
  return names.map((name) => `(local $${name} ${type})`).join(' ');
}

/**
 * `for ($i = from; $i < to; $i += step) body` over i32 locals, with unsigned comparison. `to` and
 * `step` are WAT expressions evaluated on every iteration.
 */
export function forLoop(label, i, from, to, step, body) {
  return `(local.set $${i} ${from})
(block $${label}_end (loop $${label}
  (br_if $${label}_end (i32.ge_u (local.get $${i}) ${to}))
  ${body}
  (local.set $${i} (i32.add (local.get $${i}) ${step}))
  (br $${label})))`;
}

/** The smaller of two i32 expressions, unsigned. */
export function minU(a, b) {
  return `(select ${a} ${b} (i32.lt_u ${a} ${b}))`;
}

export const get = (name) => `(local.get $${name})`;
export const set = (name, value) => `(local.set $${name} ${value})`;
export const add = (a, b) => `(i32.add ${a} ${b})`;
export const mul = (a, b) => `(i32.mul ${a} ${b})`;
export const c = (value) => `(i32.const ${value})`;
