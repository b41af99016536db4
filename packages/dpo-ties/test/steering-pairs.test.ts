// Pair construction on hand-made scores: the clear pair is the best against the worst sample, the tie
// is the closest-scoring pair of distinct samples (higher score first). Scored comparisons such as MQM
// merge candidates with the same text first.
import { describe, expect, it } from 'vitest';
import { comparisonPairs } from '../src/method/pairs.js';
import { distinctRatio, promptPairs, sameTokens } from '../src/steering/pairs.js';

describe('promptPairs', () => {
  it('clear pair is max against min', () => {
    // Scores of 8 samples: the maximum 2.5 is sample 3, the minimum -1.75 is sample 6.
    const { clear } = promptPairs([0.3, -0.5, 1.2, 2.5, 0.1, 0.9, -1.75, 0.6]);
    expect(clear).toEqual([3, 6]);
  });

  it('tie is the closest pair', () => {
    // Gaps: |0.3 - 0.1| = 0.2, |0.9 - 1.2| = 0.3, |0.6 - 0.5| = 0.1 is the smallest (samples 7 and 5).
    const { tie } = promptPairs([0.3, -0.5, 1.2, 2.5, 0.1, 0.5, -1.75, 0.6]);
    expect(tie).toEqual([7, 5]);
  });

  it('tie lists higher score first', () => {
    // Samples 0 (1.0) and 2 (1.05) are closest; 2 scores higher, so it comes first.
    const { tie } = promptPairs([1.0, 3.0, 1.05, -2.0]);
    expect(tie).toEqual([2, 0]);
  });

  it('identical samples never tie', () => {
    // Samples 0 and 1 have equal scores but are the same text; the next closest is 2 and 3 (gap 0.5).
    const tokens = [[5, 6], [5, 6], [7], [8, 9]];
    const { tie } = promptPairs([1, 1, 2, 2.5], (i, j) => sameTokens(tokens[i], tokens[j]));
    expect(tie).toEqual([3, 2]);
  });

  it('equal scores give no clear pair', () => {
    const { clear, tie } = promptPairs([0.4, 0.4, 0.4]);
    expect(clear).toBeNull();
    expect(tie).toEqual([0, 1]);
  });

  it('fewer than two samples give nothing', () => {
    expect(promptPairs([1])).toEqual({ clear: null, tie: null });
  });
});

describe('distinctRatio', () => {
  it('counts repeated tokens once', () => {
    // 6 tokens, 3 distinct (4, 5, 9).
    expect(distinctRatio([4, 5, 4, 9, 4, 5])).toBeCloseTo(0.5, 12);
  });

  it('no repeats give one', () => {
    expect(distinctRatio([1, 2, 3])).toBe(1);
  });

  it('empty sequence gives zero', () => {
    expect(distinctRatio([])).toBe(0);
  });
});

describe('comparisonPairs', () => {
  const comparison = {
    prompt: 'src',
    id: 's1',
    candidates: [
      { text: 'a', score: 0, id: 'sys1' },
      { text: 'b', score: -5, id: 'sys2' },
      { text: 'a', score: -1, id: 'sys3' },
      { text: 'c', score: -0.25, id: 'sys4' },
      { text: 'd', score: -2, id: 'sys5' },
    ],
  };

  it('merges identical texts by mean', () => {
    // 'a' scores (0 + -1) / 2 = -0.5; the best is then 'c' (-0.25) and the worst 'b' (-5).
    const [clear] = comparisonPairs([comparison], 0);
    expect([clear.chosen, clear.rejected, clear.tie]).toEqual(['c', 'b', false]);
  });

  it('tie is the closest distinct pair', () => {
    // Gaps among a (-0.5), b (-5), c (-0.25), d (-2): |c - a| = 0.25 is the smallest.
    const tie = comparisonPairs([comparison], 0)[1];
    expect([tie.chosen, tie.rejected, tie.tie]).toEqual(['c', 'a', true]);
  });

  it('threshold drops a narrow clear pair', () => {
    // The clear gap is 4.75; a threshold of 5 keeps only the tie.
    const pairs = comparisonPairs([comparison], 5);
    expect(pairs.map((p) => p.tie)).toEqual([true]);
  });

  it('two texts give one pair', () => {
    const two = {
      prompt: 'p',
      candidates: [
        { text: 'x', score: 1 },
        { text: 'y', score: 0 },
      ],
    };
    expect(comparisonPairs([two], 0)).toEqual([{ prompt: 'p', chosen: 'x', rejected: 'y', tie: false }]);
  });
});
