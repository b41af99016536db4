import { noGrad, normal, optim, scope } from '@lab/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import {
  acceptanceOutputDistribution,
  type CausalLM,
  forwardLogits,
  generate,
  Llama,
  residualDistribution,
  SeededRandom,
  type SamplingOptions,
  SpeculativeStats,
  sampleIndex,
  samplingDistribution,
  speculativeGenerate,
  verifyDraft,
} from '../src/index.js';
import { CHI_SQUARE_999, chiSquare, expectClose } from './helpers.js';

/**
 * Creates a tiny Llama whose weights are redrawn from normal(0, 0.3), so that every pair of tokens
 * has a probability of a few percent. With `like`, the weights are those of `like` plus
 * normal(0, noise), which makes a related draft.
 */
function tinyLlama(seed: number, like?: Llama, noise = 0): Llama {
  const model = new Llama(
    { dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, vocabSize: 4, maxSeqLen: 16 },
    { seed },
  );
  const base = like?.parameters();
  noGrad(() =>
    scope(() => {
      model.parameters().forEach((p, i) => {
        const fresh = normal(p.shape, 0, base ? noise : 0.3, { seed: seed * 100 + i });
        optim.assignStorage(p, base ? fresh.add(base[i]) : fresh);
      });
    }),
  );
  return model;
}

const target = tinyLlama(1);
const draft = tinyLlama(2, target, 0.1);
afterAll(() => {
  target.dispose();
  draft.dispose();
});

/** Exact joint distribution of the first two tokens the target emits after `prompt`, (V * V). */
async function targetJoint(model: CausalLM, prompt: number[], options: SamplingOptions): Promise<number[]> {
  const first = samplingDistribution(await forwardLogits(model, prompt, null), options);
  const joint: number[] = [];
  for (let a = 0; a < model.vocabSize; a++) {
    const second = samplingDistribution(await forwardLogits(model, [...prompt, a], null), options);
    for (let b = 0; b < model.vocabSize; b++) joint.push(first[a] * second[b]);
  }
  return joint;
}

/** Counts the first two emitted tokens over `runs` speculative generations sharing one seeded stream. */
async function speculativeCounts(
  runs: number,
  options: { target: SamplingOptions; draft: SamplingOptions },
): Promise<{ counts: number[]; stats: SpeculativeStats }> {
  const random = new SeededRandom(2024);
  const counts = new Array(16).fill(0);
  const stats = new SpeculativeStats();
  for (let i = 0; i < runs; i++) {
    const result = await speculativeGenerate(target, draft, [1, 3], {
      ...options,
      maxNewTokens: 3,
      numDraft: 2,
      random,
    });
    counts[result.tokens[0] * 4 + result.tokens[1]]++;
    stats.merge(result.stats);
  }
  return { counts, stats };
}

describe('acceptance sampler', () => {
  test('sampled draft keeps the target distribution', () => {
    const p = [0.5, 0.5];
    const q = [0.6, 0.4];
    expectClose(acceptanceOutputDistribution(p, q), [0.5, 0.5], 1e-12);
    const random = new SeededRandom(10);
    const counts = [0, 0];
    for (let i = 0; i < 40000; i++) {
      const x = sampleIndex(q, random.next());
      const { accepted, token } = verifyDraft([p, p], [q], [x], random);
      counts[accepted === 1 ? x : token]++;
    }
    expect(chiSquare(counts, p).statistic).toBeLessThan(CHI_SQUARE_999[1]);
  });

  test('greedy one-hot draft keeps the target distribution', () => {
    const p = [0.5, 0.5];
    const oneHot = [1, 0]; // the drafter always proposes its argmax of [0.6, 0.4]
    expectClose(acceptanceOutputDistribution(p, oneHot), [0.5, 0.5], 1e-12);
    // Using the drafter's softmax [0.6, 0.4] as q for a greedy draft would give 0.5/0.6 = 0.8333 on token 0.
    const random = new SeededRandom(11);
    const counts = [0, 0];
    for (let i = 0; i < 40000; i++) {
      const { accepted, token } = verifyDraft([p, p], [oneHot], [0], random);
      counts[accepted === 1 ? 0 : token]++;
    }
    expect(chiSquare(counts, p).statistic).toBeLessThan(CHI_SQUARE_999[1]);
  });

  test('rejection leaves its inputs unmodified', () => {
    const p = [0.5, 0.3, 0.2];
    const q = [1, 0, 0];
    expectClose(residualDistribution(p, q), [0, 0.6, 0.4], 1e-12);
    expect(p).toEqual([0.5, 0.3, 0.2]);
    const random = new SeededRandom(0);
    const rows = [p, [0.25, 0.25, 0.5]];
    let rejections = 0;
    for (let i = 0; i < 50; i++) if (verifyDraft(rows, [q], [0], random).accepted === 0) rejections++;
    expect(rejections).toBeGreaterThan(0);
    expect(rows).toEqual([
      [0.5, 0.3, 0.2],
      [0.25, 0.25, 0.5],
    ]);
    expect(q).toEqual([1, 0, 0]);
  });

  test('equal p and q always accept', () => {
    const p = [0.2, 0.8];
    expect(Array.from(residualDistribution(p, p))).toEqual([0.2, 0.8]);
    const random = new SeededRandom(3);
    for (let i = 0; i < 100; i++) expect(verifyDraft([p, p, p], [p, p], [i % 2, 1], random).accepted).toBe(2);
  });

  test('mismatched rows are rejected', () => {
    expect(() => verifyDraft([[1]], [[1]], [0], new SeededRandom(0))).toThrow(
      /need k \+ 1 target rows and k draft rows for k = 1/,
    );
    expect(() =>
      verifyDraft(
        [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
        [[1, 0]],
        [1],
        new SeededRandom(0),
      ),
    ).toThrow(/draft 0 \(token 1\) has probability 0/);
  });
});

describe('speculativeGenerate', () => {
  test('sampled draft output follows the target', async () => {
    const options = { target: { temperature: 1 }, draft: { temperature: 0.7, topK: 2 } };
    const exact = await targetJoint(target, [1, 3], options.target);
    const { counts, stats } = await speculativeCounts(900, options);
    const { statistic, degrees, impossible } = chiSquare(counts, exact);
    expect(impossible).toBe(0);
    expect(degrees).toBe(15);
    expect(statistic).toBeLessThan(CHI_SQUARE_999[15]);
    // Drafts drawn from a different model are sometimes rejected, so both branches ran.
    expect(stats.acceptanceRate).toBeGreaterThan(0.2);
    expect(stats.acceptanceRate).toBeLessThan(0.9);
  });

  test('greedy draft output follows the sampled target', async () => {
    const options = { target: { temperature: 0.8, topP: 0.95 }, draft: { temperature: 0 } };
    const exact = await targetJoint(target, [1, 3], options.target);
    const { counts } = await speculativeCounts(900, options);
    const { statistic, impossible } = chiSquare(counts, exact);
    expect(impossible).toBe(0);
    expect(statistic).toBeLessThan(CHI_SQUARE_999[15]);
  });

  test('greedy mode equals greedy decoding of the target', async () => {
    const plain = await generate(target, [2], { maxNewTokens: 12, temperature: 0 });
    const speculative = await speculativeGenerate(target, draft, [2], {
      maxNewTokens: 12,
      numDraft: 3,
      greedy: true,
    });
    expect(speculative.tokens).toEqual(plain.tokens);
    expect(speculative.stats.emitted).toBe(12);
  });

  test('greedy mode stops at eos', async () => {
    const plain = await generate(target, [2], { maxNewTokens: 12, temperature: 0 });
    const eos = plain.tokens[5];
    const stopped = await speculativeGenerate(target, draft, [2], {
      maxNewTokens: 12,
      greedy: true,
      eosId: eos,
    });
    expect(stopped.tokens).toEqual(plain.tokens.slice(0, plain.tokens.indexOf(eos) + 1));
    expect(stopped.stopReason).toBe('eos');
  });

  test('self-drafting counters', async () => {
    // Draft = target, greedy: every draft is kept. 10 tokens with k = 4 take two rounds of 4 drafts + 1 bonus.
    const { stats, tokens } = await speculativeGenerate(target, target, [1], {
      maxNewTokens: 10,
      numDraft: 4,
      greedy: true,
    });
    expect(tokens).toHaveLength(10);
    expect(stats.proposed).toBe(8);
    expect(stats.accepted).toBe(8);
    expect(stats.targetCalls).toBe(2);
    expect(stats.draftCalls).toBe(8);
    expect(stats.acceptanceRate).toBe(1);
    expect(stats.acceptanceByPosition).toEqual([1, 1, 1, 1]);
    expect(stats.meanAcceptedLength).toBe(4);
    expect(stats.tokensPerTargetCall).toBe(5);
  });

  test('pooled rates weigh every draft equally', () => {
    const a = new SpeculativeStats();
    a.record(4, 4);
    const b = new SpeculativeStats();
    b.record(4, 0);
    b.record(2, 1);
    const pooled = new SpeculativeStats().merge(a).merge(b);
    // 5 kept of 10 proposed; averaging per request would give (4/4 + 1/6) / 2 = 0.583
    expect(pooled.acceptanceRate).toBe(0.5);
    expect(pooled.acceptanceByPosition).toEqual([2 / 3, 1 / 3, 0.5, 0.5]);
    expect(pooled.targetCalls).toBe(3);
  });

  test('mismatched vocabularies are rejected', async () => {
    const other = new Llama({ dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, vocabSize: 5, maxSeqLen: 16 });
    await expect(speculativeGenerate(target, other, [1], { maxNewTokens: 2 })).rejects.toThrow(
      /vocabulary \(5\) differs from the target's \(4\)/,
    );
    other.dispose();
  });
});
