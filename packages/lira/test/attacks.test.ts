// The keep matrix and the attacks on synthetic statistics drawn from known Gaussians, where the
// Bayes-optimal ordering is known: per-example calibration must beat the raw loss threshold.
import { describe, expect, it } from 'vitest';
import {
  defaultVariance,
  fitGaussians,
  keepMatrix,
  keepRow,
  liraAttack,
  memberIndices,
  runAudit,
} from '../src/index.js';
import { attackMetrics } from '../src/metrics.js';

/** Box-Muller normals from a seeded mulberry32 stream. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Statistic = example difficulty (std 2) + 0.5 if member + model noise (std 0.2). */
function synthetic(models: number, examples: number, seed: number) {
  const z = normals(seed);
  const keep = keepMatrix(models, examples, seed);
  const difficulty = Array.from({ length: examples }, () => 2 * z());
  const stats = keep.map((row) => row.map((k, x) => difficulty[x] + (k ? 0.5 : 0) + 0.2 * z()));
  return { keep, stats };
}

describe('keep matrix', () => {
  const keep = keepMatrix(16, 40, 5);

  it('each example is in half the models', () => {
    for (let x = 0; x < 40; x++) expect(keep.filter((row) => row[x]).length).toBe(8);
  });
  it('each model trains on half the pool', () => {
    for (const row of keep) expect(memberIndices(row)).toHaveLength(20);
  });
  it('rows do not depend on the model count', () => {
    const larger = keepMatrix(64, 40, 5);
    expect(larger.slice(0, 16)).toEqual(keep);
  });
  it('seed changes the rows', () => {
    expect(keepRow(0, 40, 6)).not.toEqual(keepRow(0, 40, 5));
    expect(keepRow(2, 40, 5)).not.toEqual(keepRow(0, 40, 5));
  });
  it('odd counts are rejected', () => {
    expect(() => keepMatrix(3, 40, 0)).toThrow(/models = 3/);
    expect(() => keepRow(0, 7, 0)).toThrow(/examples = 7/);
  });
});

describe('attacks on synthetic statistics', () => {
  const { keep, stats } = synthetic(34, 600, 11);
  const refs = Array.from({ length: 33 }, (_, i) => i + 1);

  it('online beats the loss threshold', () => {
    const s = liraAttack(stats, keep, 0, refs, { variance: 'global' });
    const online = attackMetrics(s.online, s.labels).auc;
    const loss = attackMetrics(s.loss, s.labels).auc;
    // Calibrated: the 0.5 shift over 0.2 noise separates well (AUC ~0.96); raw: difficulty (std 2) swamps it.
    expect(online).toBeGreaterThan(0.9);
    expect(loss).toBeLessThan(0.65);
  });
  it('offline also beats the loss threshold', () => {
    const s = liraAttack(stats, keep, 0, refs, { variance: 'per-example' });
    expect(attackMetrics(s.offline, s.labels).auc).toBeGreaterThan(0.85);
  });
  it('target is excluded from its references', () => {
    expect(() => liraAttack(stats, keep, 0, [0, 1], {})).toThrow(/contains the target 0/);
  });
  it('missing IN side uses the global gap', () => {
    // One reference: every example has only an IN or only an OUT statistic.
    const g = fitGaussians(stats, keep, [1], { variance: 'global' });
    const x = keep[1].indexOf(false);
    const ins = stats[1].filter((_, i) => keep[1][i]);
    const outs = stats[1].filter((_, i) => !keep[1][i]);
    const gap = ins.reduce((a, b) => a + b, 0) / ins.length - outs.reduce((a, b) => a + b, 0) / outs.length;
    expect(g.muIn[x]).toBeCloseTo(stats[1][x] + gap, 12);
    expect(Number.isFinite(liraAttack(stats, keep, 0, [1], { variance: 'global' }).online[x])).toBe(true);
  });
  it('default variance switches at 64', () => {
    expect(defaultVariance(63)).toBe('global');
    expect(defaultVariance(64)).toBe('per-example');
  });
  it('audit table grows with references', () => {
    const result = runAudit({ stats, keep, sweep: [1, 4, 16], location: 'mean', variance: 'auto' });
    expect(result.growth).toHaveLength(9);
    const online = result.growth.filter((r) => r.attack === 'online').map((r) => r.metrics.auc);
    expect(online[2]).toBeGreaterThan(online[0]);
    expect(result.leaveOneOut[0].targets).toBe(34);
  });
});
