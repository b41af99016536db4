// A few optimizer steps of a tiny causal transformer on webgpu and on cpu from the same initial
// weights (Philox draws are equal bit for bit): the losses must agree step by step.
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  arange,
  attention,
  crossEntropy,
  currentBackendName,
  Embedding,
  fromArray,
  LayerNorm,
  Linear,
  Module,
  scope,
  type Tensor,
  useBackend,
} from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { checkGpuBuffers, setupWebGPU, titled } from './gpu.js';

checkNoLeaks();
const gpu = await setupWebGPU();
checkGpuBuffers(gpu);

const VOCAB = 11;
const CONTEXT = 8;
const DIM = 16;
const HEADS = 2;

class TinyCausalLM extends Module {
  readonly tokens = this.registerModule('tokens', new Embedding(VOCAB, DIM, { seed: 1 }));
  readonly positions = this.registerModule('positions', new Embedding(CONTEXT, DIM, { seed: 2 }));
  readonly ln1 = this.registerModule('ln1', new LayerNorm(DIM));
  readonly qkv = this.registerModule('qkv', new Linear(DIM, 3 * DIM, { seed: 3 }));
  readonly proj = this.registerModule('proj', new Linear(DIM, DIM, { seed: 4 }));
  readonly ln2 = this.registerModule('ln2', new LayerNorm(DIM));
  readonly fc = this.registerModule('fc', new Linear(DIM, 2 * DIM, { seed: 5 }));
  readonly out = this.registerModule('out', new Linear(2 * DIM, DIM, { seed: 6 }));
  readonly head = this.registerModule('head', new Linear(DIM, VOCAB, { bias: false, seed: 7 }));

  /** ids: (B, T) -> logits (B, T, V). */
  forward(ids: Tensor): Tensor {
    const [b, t] = ids.shape;
    const x = this.tokens.forward(ids).add(this.positions.forward(arange(t))); // (B, T, C)
    const toHeads = (z: Tensor) => z.reshape([b, t, HEADS, DIM / HEADS]).permute([0, 2, 1, 3]); // (B, H, T, D)
    const [q, k, v] = this.qkv.forward(this.ln1.forward(x)).split(DIM, -1).map(toHeads);
    const mixed = attention(q, k, v, { causal: true }).permute([0, 2, 1, 3]).reshape([b, t, DIM]); // (B, T, C)
    const h = x.add(this.proj.forward(mixed)); // (B, T, C)
    const mlp = this.out.forward(this.fc.forward(this.ln2.forward(h)).gelu()); // (B, T, C)
    return this.head.forward(h.add(mlp)); // (B, T, V)
  }
}

/** Losses of `steps` AdamW steps on a fixed batch: next-token targets of a repeating sequence. */
function trainLosses(backend: string, steps: number): Promise<number[]> {
  const previous = currentBackendName();
  useBackend(backend);
  const model = new TinyCausalLM();
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const sequence = Array.from({ length: 2 * (CONTEXT + 1) }, (_, i) => (i * 3) % VOCAB);
  const inputs = fromArray([...sequence.slice(0, CONTEXT), ...sequence.slice(9, 9 + CONTEXT)], [2, CONTEXT], {
    dtype: 'i32',
  }).keep();
  const targets = fromArray(
    [...sequence.slice(1, CONTEXT + 1), ...sequence.slice(10, 10 + CONTEXT)],
    [2, CONTEXT],
    { dtype: 'i32' },
  ).keep();
  const run = async () => {
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const loss = scope(() => {
        const value = crossEntropy(model.forward(inputs), targets);
        value.backward();
        return value;
      });
      losses.push(await loss.item());
      loss.dispose();
      optimizer.step();
      optimizer.zeroGrad();
    }
    return losses;
  };
  return run().finally(() => {
    optimizer.dispose();
    model.dispose();
    inputs.dispose();
    targets.dispose();
    useBackend(previous);
  });
}

describe.skipIf(!gpu.backend)(titled('webgpu training smoke test', gpu), () => {
  it('transformer losses match the cpu', async () => {
    const cpu = await trainLosses('cpu', 5);
    const webgpu = await trainLosses('webgpu', 5);
    // the model learns: the loss falls from about ln(11) = 2.40
    expect(cpu[4]).toBeLessThan(cpu[0]);
    for (let step = 0; step < 5; step++) {
      expect(
        Math.abs(webgpu[step] - cpu[step]),
        `step ${step}: webgpu ${webgpu[step]}, cpu ${cpu[step]}`,
      ).toBeLessThan(1e-4 * Math.max(1, cpu[step]));
    }
  });
});
