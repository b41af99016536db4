import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdamW,
  arange,
  attention,
  clipGradNorm,
  crossEntropy,
  Embedding,
  fromArray,
  LayerNorm,
  Linear,
  memory,
  Module,
  ModuleList,
  nn,
  optim,
  scope,
  Sequential,
  type Tensor,
} from '../src/index.js';
import { randomValues } from './helpers.js';

// Compared with the count before each test, so a leak fails only the test that made it.
let liveBefore = 0;
beforeEach(() => {
  liveBefore = memory().tensors;
});
afterEach(() => {
  expect(memory().tensors - liveBefore, 'tensors leaked by this test').toBe(0);
});

/** Two interleaved half circles with Gaussian noise (Box-Muller over mulberry32 draws), centered. */
function twoMoons(pointsPerClass: number, noise: number, seed: number): { points: number[]; labels: number[] } {
  // 2 noise values per point, each from a pair of uniforms, then 1 angle per point.
  const count = 2 * pointsPerClass;
  const uniforms = randomValues(5 * count, seed, 0, 1);
  const gaussian = (i: number) => Math.sqrt(-2 * Math.log(1 - uniforms[2 * i])) * Math.cos(2 * Math.PI * uniforms[2 * i + 1]);
  const points: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const angle = Math.PI * uniforms[4 * count + i];
    const x = label === 0 ? Math.cos(angle) : 1 - Math.cos(angle);
    const y = label === 0 ? Math.sin(angle) : 0.5 - Math.sin(angle);
    points.push(x - 0.5 + noise * gaussian(2 * i), y - 0.25 + noise * gaussian(2 * i + 1));
    labels.push(label);
  }
  return { points, labels };
}

describe('MLP training', () => {
  it('fits two moons with AdamW', () => {
    const { points, labels } = twoMoons(100, 0.1, 5);
    const x = fromArray(points, [200, 2]).keep();
    const y = fromArray(labels, [200], { dtype: 'i32' }).keep();
    const model = new Sequential(
      new Linear(2, 32, { seed: 1 }),
      new (class extends Module {
        forward(h: Tensor): Tensor {
          return h.tanh();
        }
      })(),
      new Linear(32, 32, { seed: 2 }),
      new (class extends Module {
        forward(h: Tensor): Tensor {
          return h.tanh();
        }
      })(),
      new Linear(32, 2, { seed: 3 }),
    );
    const optimizer = new AdamW(model.parameters(), { lr: 0.02 });

    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      optimizer.zeroGrad();
      losses.push(
        scope(() => {
          const loss = crossEntropy(model.forward(x), y);
          loss.backward();
          return loss.dataSync()[0];
        }),
      );
      optimizer.step();
    }
    const accuracy = scope(() => {
      const predicted = model.forward(x).argmax(-1).dataSync();
      return labels.filter((label, i) => predicted[i] === label).length / labels.length;
    });

    // A linear classifier trained on these points with AdamW for 400 steps reached 0.25 loss and
    // 87% accuracy, so loss under 0.05 and accuracy of at least 98% need the curved boundary that
    // the hidden layers give. Measured for this MLP: 0.72 before and under 0.001 after, 100% accuracy.
    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses[149]).toBeLessThan(0.05);
    expect(losses[0] / losses[149]).toBeGreaterThan(10);
    expect(accuracy).toBeGreaterThanOrEqual(0.98);

    optimizer.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

// Opening of Charles Dickens, "A Tale of Two Cities" (1859), public domain; lowercased.
const TEXT = [
  'it was the best of times, it was the worst of times, it was the age of wisdom,',
  'it was the age of foolishness, it was the epoch of belief, it was the epoch of',
  'incredulity, it was the season of light, it was the season of darkness, it was',
  'the spring of hope, it was the winter of despair, we had everything before us,',
  'we had nothing before us, we were all going direct to heaven, we were all going',
  'direct the other way.',
].join(' ');

class CausalSelfAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;

  constructor(
    readonly dim: number,
    readonly heads: number,
    seed: number,
  ) {
    super();
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { seed }));
    this.proj = this.registerModule('proj', new Linear(dim, dim, { seed: seed + 1 }));
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const headDim = c / this.heads;
    const toHeads = (z: Tensor) => z.reshape([b, t, this.heads, headDim]).permute([0, 2, 1, 3]); // (B, H, T, D)
    const [q, k, v] = this.qkv.forward(x).split(c, -1).map(toHeads);
    const y = attention(q, k, v, { causal: true }); // (B, H, T, D)
    return this.proj.forward(y.permute([0, 2, 1, 3]).reshape([b, t, c])); // (B, T, C)
  }
}

class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc: Linear;
  readonly out: Linear;

  constructor(dim: number, heads: number, seed: number) {
    super();
    this.ln1 = this.registerModule('ln1', new LayerNorm(dim));
    this.attn = this.registerModule('attn', new CausalSelfAttention(dim, heads, seed));
    this.ln2 = this.registerModule('ln2', new LayerNorm(dim));
    this.fc = this.registerModule('fc', new Linear(dim, 4 * dim, { seed: seed + 2 }));
    this.out = this.registerModule('out', new Linear(4 * dim, dim, { seed: seed + 3 }));
  }

  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x))); // (B, T, C)
    return h.add(this.out.forward(this.fc.forward(this.ln2.forward(h)).gelu())); // (B, T, C)
  }
}

class TinyTransformer extends Module {
  readonly tokens: Embedding;
  readonly positions: Embedding;
  readonly blocks: ModuleList<Block>;
  readonly lnFinal: LayerNorm;
  readonly head: Linear;

  constructor(vocab: number, context: number, dim: number, heads: number, layers: number) {
    super();
    // Embeddings start at N(0, 0.02^2)-like scale in GPT-2; N(0, 1) from Embedding is fine here
    // because LayerNorm follows every use.
    this.tokens = this.registerModule('tokens', new Embedding(vocab, dim, { seed: 1 }));
    this.positions = this.registerModule('positions', new Embedding(context, dim, { seed: 2 }));
    const blocks = Array.from({ length: layers }, (_, i) => new Block(dim, heads, 10 * (i + 1)));
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.lnFinal = this.registerModule('lnFinal', new LayerNorm(dim));
    this.head = this.registerModule('head', new Linear(dim, vocab, { bias: false, seed: 3 }));
  }

  /** ids: (B, T) -> logits (B, T, vocab). */
  forward(ids: Tensor): Tensor {
    const t = ids.shape[1];
    let x = this.tokens.forward(ids).add(this.positions.forward(arange(t))); // (B, T, C)
    for (const block of this.blocks) x = block.forward(x);
    return this.head.forward(this.lnFinal.forward(x)); // (B, T, V)
  }
}

/** Entropy in nats of the text's character frequencies: the best loss without any context. */
function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) entropy -= (count / text.length) * Math.log(count / text.length);
  return entropy;
}

describe('transformer training', () => {
  it('next-character loss falls', () => {
    const vocab = [...new Set(TEXT)].sort();
    const encoded = [...TEXT].map((ch) => vocab.indexOf(ch));
    const context = 24;
    const batchSize = 4;
    const steps = 40;

    /** `batchSize` windows at seeded offsets: inputs and the targets shifted by one character. */
    const batch = (seed: number): [Tensor, Tensor] => {
      const starts = randomValues(batchSize, seed, 0, encoded.length - context - 1).map(Math.floor);
      const inputs = starts.flatMap((s) => encoded.slice(s, s + context));
      const targets = starts.flatMap((s) => encoded.slice(s + 1, s + context + 1));
      return [fromArray(inputs, [batchSize, context], { dtype: 'i32' }), fromArray(targets, [batchSize, context], { dtype: 'i32' })];
    };

    const model = new TinyTransformer(vocab.length, context, 32, 4, 2);
    const schedule = optim.warmupCosineSchedule({ peakLr: 2e-2, warmupSteps: 5, totalSteps: steps, minLr: 2e-3 });
    const optimizer = new AdamW(model.parameters(), { schedule, weightDecay: 0.01 });
    const evaluate = () =>
      scope(() => {
        const [inputs, targets] = batch(12345);
        return crossEntropy(model.forward(inputs), targets).dataSync()[0];
      });

    const initialLoss = evaluate();
    for (let step = 0; step < steps; step++) {
      optimizer.zeroGrad();
      scope(() => {
        const [inputs, targets] = batch(step);
        crossEntropy(model.forward(inputs), targets).backward();
        clipGradNorm(model.parameters(), 1);
      });
      optimizer.step();
    }
    const finalLoss = evaluate();

    // At the start the loss is near ln(25) = 3.2 nats, uniform guessing over the 25 characters. A
    // model that ignores context can do no better than the unigram entropy of the text (2.76 nats),
    // so ending 0.75 nats below it shows that the model predicts from the previous characters. The
    // evaluation windows come from the training text: this checks fitting, not generalization.
    // Measured with these seeds: 3.31 before and 1.78 after training.
    const entropy = unigramEntropy(TEXT);
    expect(initialLoss).toBeGreaterThan(3);
    expect(finalLoss).toBeLessThan(entropy - 0.75);

    optimizer.dispose();
    model.dispose();
  });
});

describe('namespaces', () => {
  it('nn and optim expose classes', () => {
    expect(nn.Sequential).toBe(Sequential);
    expect(optim.AdamW).toBe(AdamW);
  });
});
