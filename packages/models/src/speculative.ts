import { GenerationError } from './errors.js';
import { sampleIndex, type SeededRandom } from './sampling.js';

/**
 * Returns the rejection distribution norm(max(0, p - q)) as a new array, leaving p and q unmodified.
 * When q covers p everywhere (p = q), the positive part is empty and rejection cannot happen, so a
 * copy of p is returned.
 */
export function residualDistribution(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  checkSameLength('residualDistribution', p, q);
  const out = new Float64Array(p.length);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    out[i] = Math.max(0, p[i] - q[i]);
    total += out[i];
  }
  if (total <= 0) return Float64Array.from(p);
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/**
 * Computes the exact distribution of the token emitted at one drafted position. The draft x ~ q is
 * kept with probability min(1, p(x) / q(x)), otherwise a token is drawn from norm(max(0, p - q)):
 *   out(x) = min(p(x), q(x)) + (1 - sum_y min(p(y), q(y))) norm(max(0, p - q))(x) = p(x)
 * for every q, because 1 - sum_y min(p, q) is exactly the mass of max(0, p - q). Tests use it to check
 * samplers analytically.
 */
export function acceptanceOutputDistribution(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  checkSameLength('acceptanceOutputDistribution', p, q);
  const residual = residualDistribution(p, q);
  const out = new Float64Array(p.length);
  let accepted = 0;
  for (let x = 0; x < p.length; x++) {
    const keep = q[x] > 0 ? q[x] * Math.min(1, p[x] / q[x]) : 0;
    out[x] = keep;
    accepted += keep;
  }
  for (let x = 0; x < p.length; x++) out[x] += (1 - accepted) * residual[x];
  return out;
}

export interface Verification {
  /** Number of drafts kept, from the front. */
  accepted: number;
  /** The token emitted after the kept drafts: a resample on rejection, a bonus draw from the target otherwise. */
  token: number;
  /** Whether `token` is the bonus draw that follows a fully accepted draft. */
  bonus: boolean;
}

/**
 * Exact acceptance sampling of k drafted tokens. `targetProbs` contains k + 1 rows (the target's
 * distributions after each prefix, the last one after all drafts) and `draftProbs` k rows, each
 * exactly the distribution its draft was drawn from (temperature, top-k and top-p applied). Draft i is
 * kept when u < p_i(x_i) / q_i(x_i); the first rejection emits a draw from norm(max(0, p_i - q_i)) and
 * ends the round; when all k are kept, a bonus token is drawn from p_k. The emitted tokens then follow
 * the target's distribution exactly. No input array is modified.
 */
export function verifyDraft(
  targetProbs: readonly ArrayLike<number>[],
  draftProbs: readonly ArrayLike<number>[],
  drafts: readonly number[],
  random: SeededRandom,
): Verification {
  const k = drafts.length;
  if (draftProbs.length !== k || targetProbs.length !== k + 1) {
    throw new GenerationError(
      'verifyDraft',
      `need k + 1 target rows and k draft rows for k = ${k} drafts, got ${targetProbs.length} and ${draftProbs.length}`,
    );
  }
  for (let i = 0; i < k; i++) {
    const x = drafts[i];
    const p = targetProbs[i][x];
    const q = draftProbs[i][x];
    if (!(q > 0)) {
      throw new GenerationError(
        'verifyDraft',
        `draft ${i} (token ${x}) has probability ${q} under its q row; q must be the distribution the draft was sampled from`,
      );
    }
    // Accept with probability min(1, p / q), written without the division: u * q < p.
    if (random.next() * q < p) continue;
    return {
      accepted: i,
      token: sampleIndex(residualDistribution(targetProbs[i], draftProbs[i]), random.next()),
      bonus: false,
    };
  }
  return { accepted: k, token: sampleIndex(targetProbs[k], random.next()), bonus: true };
}

/**
 * Verifies drafts greedily: a draft is kept while it equals the target's most likely token. The first
 * mismatch, or the position after the last draft, emits the target's most likely token. The result is
 * deterministic and equals greedy decoding with the target alone.
 */
export function verifyDraftGreedy(
  targetLogits: readonly ArrayLike<number>[],
  drafts: readonly number[],
): Verification {
  if (targetLogits.length !== drafts.length + 1) {
    throw new GenerationError(
      'verifyDraftGreedy',
      `need k + 1 = ${drafts.length + 1} target rows, got ${targetLogits.length}`,
    );
  }
  for (let i = 0; i < drafts.length; i++) {
    const best = argmax(targetLogits[i]);
    if (best !== drafts[i]) return { accepted: i, token: best, bonus: false };
  }
  return { accepted: drafts.length, token: argmax(targetLogits[drafts.length]), bonus: true };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function checkSameLength(op: string, p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length)
    throw new GenerationError(
      op,
      `p has ${p.length} entries but q has ${q.length}; both must span the same vocabulary`,
    );
}
