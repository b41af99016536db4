/**
 * The balanced keep matrix: keep[m][x] is true when model m trains on candidate x.
 *
 * Models come in complementary pairs (2k, 2k + 1): pair k draws a seeded random half of the pool for
 * model 2k, and model 2k + 1 takes the other half. So every model trains on exactly half the pool,
 * every example is IN for exactly half the models (for an even model count), and row m depends only
 * on (seed, m), never on how many models there are: growing an audit from 16 to 64 models keeps the
 * first 16 rows, which is what lets the model store reuse them.
 */
import { permutation } from '@lab/data';
import { LiraInputError } from './errors.js';

/** Row m of the keep matrix over `examples` candidates (examples must be even). */
export function keepRow(m: number, examples: number, seed: number): boolean[] {
  if (!(examples >= 2 && examples % 2 === 0))
    throw new LiraInputError(
      'keepRow',
      'examples',
      examples,
      'must be an even count of at least 2 so each model takes exactly half',
    );
  const pair = m >> 1;
  const order = permutation(examples, seed, pair); // pair k's draw
  const row = new Array<boolean>(examples).fill(false);
  const firstHalf = m % 2 === 0;
  for (let i = 0; i < examples; i++) row[order[i]] = i < examples / 2 ? firstHalf : !firstHalf;
  return row;
}

/** The first `models` rows (models must be even for the per-example balance). */
export function keepMatrix(models: number, examples: number, seed: number): boolean[][] {
  if (!(models >= 2 && models % 2 === 0))
    throw new LiraInputError(
      'keepMatrix',
      'models',
      models,
      'must be even (target and references together) so each example is IN for exactly half',
    );
  return Array.from({ length: models }, (_, m) => keepRow(m, examples, seed));
}

/** Indices of the candidates model m trains on, ascending. */
export function memberIndices(row: readonly boolean[]): number[] {
  const out: number[] = [];
  row.forEach((k, x) => {
    if (k) out.push(x);
  });
  return out;
}
