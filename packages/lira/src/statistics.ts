/**
 * Per-example statistics of a causal language model on its candidate sequences, computed from the
 * logits in double precision (read back from the device once per batch):
 *   loss  s = (1/T) Σ_t log p(x_t | x_<t)            the negative mean token NLL (higher = member)
 *   phi   s = (1/T) Σ_t [z_{x_t} − logsumexp_{v≠x_t} z_v]   the mean logit-scaled confidence
 * Both use exactly the rows' tokenisation and context as training (BOS first, then the bytes); the
 * first token is a condition, never a label.
 */
import type { TokenizedExample } from '@lab/data';
import type { CausalLM } from '@lab/models';
import { noGrad, scopeAsync } from '@lab/tensor';
import { lmBatch } from '@lab/trainer';
import { logitScaledConfidence } from './scores.js';

export type StatisticName = 'loss' | 'phi';

export interface SequenceStatistics {
  loss: number[];
  phi: number[];
}

/** log softmax of one row of logits at `label`, with a max shift. */
function logProbAt(logits: ArrayLike<number>, offset: number, size: number, label: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < size; v++) if (logits[offset + v] > max) max = logits[offset + v];
  let total = 0;
  for (let v = 0; v < size; v++) total += Math.exp(logits[offset + v] - max);
  return logits[offset + label] - max - Math.log(total);
}

export async function sequenceStatistics(
  model: CausalLM,
  rows: readonly TokenizedExample[],
  options: { batchSize?: number; backend?: string } = {},
): Promise<SequenceStatistics> {
  const batchSize = options.batchSize ?? 32;
  const out: SequenceStatistics = { loss: [], phi: [] };
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < rows.length; start += batchSize) {
      const chunk = rows.slice(start, start + batchSize);
      await scopeAsync(async () => {
        const batch = lmBatch(chunk, { backend: options.backend });
        const logits = noGrad(() => model.forward(batch.ids)); // (B, T, V)
        const [B, T, V] = logits.shape;
        const values = await logits.data();
        const ids = await batch.ids.data();
        const mask = await batch.completionMask.data();
        for (let b = 0; b < B; b++) {
          let lp = 0;
          let phi = 0;
          let count = 0;
          // Position t predicts token t + 1.
          for (let t = 0; t + 1 < T; t++) {
            if (mask[b * T + t + 1] === 0) continue;
            const label = ids[b * T + t + 1];
            const offset = (b * T + t) * V;
            lp += logProbAt(values, offset, V, label);
            phi += logitScaledConfidence(values, label, offset, V);
            count++;
          }
          out.loss.push(count > 0 ? lp / count : 0);
          out.phi.push(count > 0 ? phi / count : 0);
        }
      });
    }
  } finally {
    if (wasTraining) model.train();
  }
  return out;
}
