import { describe, expect, it } from 'vitest';
import {
  aggregateSeeds,
  buildComparison,
  curvesFromRecords,
  formatNumber,
  MetricsParseError,
  parseMetricsJsonl,
  type ReportSection,
  renderComparison,
  renderReport,
  type RunSummary,
  seriesFromRecords,
} from '../src/index.js';

// Small readers of the generated markup, written against the SVG text rather than the renderer.
const svgs = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
const seriesPaths = (svg: string) =>
  [...svg.matchAll(/<path class="series" data-series="([^"]*)" data-points="(\d+)" d="([^"]*)"/g)].map(
    (m) => ({
      name: m[1],
      declared: Number(m[2]),
      coords: [...m[3].matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((c) => [Number(c[1]), Number(c[2])]),
    }),
  );
const domain = (svg: string, axis: 'x' | 'y') => {
  const m = svg.match(new RegExp(`data-${axis}-domain="([^"]+)"`));
  return m![1].split(' ').map(Number);
};
const plotArea = (svg: string) => {
  const m = svg.match(
    /<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/,
  )!;
  const [x, y, w, h] = m.slice(1).map(Number);
  return { x0: x, x1: x + w, y0: y, y1: y + h };
};
const notes = (html: string) => [...html.matchAll(/<p class="note">([^<]*)<\/p>/g)].map((m) => m[1]);
const page = (...sections: ReportSection[]) => renderReport({ title: 'test', sections });

describe('report escaping', () => {
  it('sample text stays inert', () => {
    const html = page({
      kind: 'samples',
      title: 'gen',
      samples: [{ label: 'p1', text: '<script>alert("x")</script> & more' }],
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
  });

  it('titles and metadata are escaped', () => {
    const html = renderReport({
      title: '<img src=x onerror=alert(1)>',
      meta: { 'note<b>': '"quoted" <i>' },
      sections: [{ kind: 'text', title: 'a<b', text: '</p><script>' }],
    });
    expect(html).not.toMatch(/<img|<script|<b>|<i>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;quoted&quot; &lt;i&gt;');
  });

  it('series names are escaped in attributes', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 'step' },
      y: { label: 'v' },
      series: [{ name: 'a" onload="alert(1)', x: [0, 1], y: [1, 2] }],
    });
    expect(html).not.toContain('" onload="');
    expect(html).toContain('data-series="a&quot; onload=&quot;alert(1)"');
  });

  it('page loads nothing external', () => {
    const html = page(
      {
        kind: 'lineChart',
        title: 't',
        x: { label: 's' },
        y: { label: 'v' },
        series: [{ name: 'a', x: [0, 1], y: [0, 1] }],
      },
      { kind: 'roc', title: 'r', curves: [{ name: 'c', fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] }] },
    );
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href=/i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });
});

describe('line chart', () => {
  const html = page({
    kind: 'lineChart',
    title: 'loss',
    x: { label: 'step' },
    y: { label: 'loss', unit: 'nats' },
    series: [
      { name: 'train', x: [0, 10, 20, 30, 40], y: [2.5, 1.9, 1.2, 0.8, 0.6] },
      { name: 'eval', x: [5, 25, 45], y: [2.7, -0.4, 0.9] },
    ],
  });
  const svg = svgs(html)[0];

  it('one path per series with its points', () => {
    const paths = seriesPaths(svg);
    expect(paths.map((p) => p.name)).toEqual(['train', 'eval']);
    expect(paths[0].coords.length).toBe(5);
    expect(paths[1].coords.length).toBe(3);
    expect(paths[0].declared).toBe(5);
  });

  it('axis domains include every point', () => {
    const [x0, x1] = domain(svg, 'x');
    const [y0, y1] = domain(svg, 'y');
    expect(x0).toBeLessThanOrEqual(0);
    expect(x1).toBeGreaterThanOrEqual(45);
    expect(y0).toBeLessThanOrEqual(-0.4);
    expect(y1).toBeGreaterThanOrEqual(2.7);
  });

  it('every vertex lies in the plot area', () => {
    const area = plotArea(svg);
    for (const [x, y] of seriesPaths(svg).flatMap((p) => p.coords)) {
      expect(x).toBeGreaterThanOrEqual(area.x0);
      expect(x).toBeLessThanOrEqual(area.x1);
      expect(y).toBeGreaterThanOrEqual(area.y0);
      expect(y).toBeLessThanOrEqual(area.y1);
    }
  });

  it('svg has a view box', () => {
    expect(svg).toMatch(/viewBox="0 0 \d+ \d+"/);
    expect(svg).toContain('width="100%"');
  });

  it('axis title carries the unit', () => {
    expect(svg).toContain('loss (nats)');
  });

  it('vertices keep the data order', () => {
    // x increases along train, and loss decreases, so SVG y (downwards) increases.
    const train = seriesPaths(svg)[0].coords;
    for (let i = 1; i < train.length; i++) {
      expect(train[i][0]).toBeGreaterThan(train[i - 1][0]);
      expect(train[i][1]).toBeGreaterThan(train[i - 1][1]);
    }
  });
});

describe('line chart bad values', () => {
  it('non-finite values are skipped and counted', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 'step' },
      y: { label: 'v' },
      series: [
        { name: 'loss', x: [0, 1, 2, 3, 4], y: [1, Number.NaN, 3, Number.POSITIVE_INFINITY, 5] },
        { name: 'kl', x: [0, Number.NaN], y: [1, 2] },
      ],
    });
    const paths = seriesPaths(svgs(html)[0]);
    expect(paths[0].coords.length).toBe(3);
    expect(paths[1].coords.length).toBe(1);
    expect(notes(html)).toContain('Non-finite values skipped: 3 (loss 2, kl 1).');
    expect(domain(svgs(html)[0], 'y')[1]).toBeGreaterThanOrEqual(5);
  });

  it('empty series gets a no data note', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 'step' },
      y: { label: 'v' },
      series: [
        { name: 'loss', x: [0, 1], y: [1, 2] },
        { name: 'reward', x: [], y: [] },
      ],
    });
    expect(seriesPaths(svgs(html)[0]).length).toBe(1);
    expect(notes(html)).toContain('No data: reward.');
    expect(html).toContain('reward (no data)');
  });

  it('chart without points shows no data', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 'step' },
      y: { label: 'v' },
      series: [{ name: 'loss', x: [0], y: [Number.NaN] }],
    });
    expect(html).toContain('class="no-data">no data</text>');
    expect(notes(html)).toContain('No data: loss.');
  });

  it('length mismatch is noted', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 's' },
      y: { label: 'v' },
      series: [{ name: 'kl', x: [0, 1, 2], y: [1, 2] }],
    });
    expect(seriesPaths(svgs(html)[0])[0].coords.length).toBe(2);
    expect(notes(html)).toContain('kl: 3 x values but 2 y values; the extra values are ignored.');
  });

  it('chart without series says so', () => {
    const html = page({ kind: 'lineChart', title: 't', x: { label: 's' }, y: { label: 'v' }, series: [] });
    expect(notes(html)).toContain('No data: this chart has no series.');
  });

  it('log axis drops values at or below zero', () => {
    const html = page({
      kind: 'lineChart',
      title: 't',
      x: { label: 'step' },
      y: { label: 'kl', scale: 'log' },
      series: [{ name: 'kl', x: [0, 1, 2, 3], y: [0, 0.02, -1, 3] }],
    });
    const svg = svgs(html)[0];
    expect(seriesPaths(svg)[0].coords.length).toBe(2);
    expect(domain(svg, 'y')).toEqual([0.01, 10]);
    expect(notes(html)).toContain('Values ≤ 0 left off the log axis: 2 (kl 2).');
    expect(svg).toContain('data-y-scale="log"');
  });
});

describe('scatter and roc charts', () => {
  it('error bars fit inside the domain', () => {
    const html = page({
      kind: 'scatter',
      title: 'reward vs kl',
      x: { label: 'KL', unit: 'nats' },
      y: { label: 'reward' },
      points: [
        { label: 'dpo', x: 2, y: 0.6, xErr: 0.5, yErr: 0.1 },
        { label: 'dpo-rk <x>', x: 1, y: 0.7, xErr: 0.2, yErr: 0.02 },
      ],
    });
    const svg = svgs(html)[0];
    const [x0, x1] = domain(svg, 'x');
    const [y0, y1] = domain(svg, 'y');
    expect(x0).toBeLessThanOrEqual(0.8);
    expect(x1).toBeGreaterThanOrEqual(2.5);
    expect(y0).toBeLessThanOrEqual(0.5);
    expect(y1).toBeGreaterThanOrEqual(0.72);
    expect(svg.match(/class="error-bar"/g)?.length).toBe(4);
    expect(svg).toContain('dpo-rk &lt;x&gt;');
  });

  it('scatter counts non-finite points', () => {
    const html = page({
      kind: 'scatter',
      title: 's',
      x: { label: 'a' },
      y: { label: 'b' },
      points: [
        { label: 'p', x: Number.NaN, y: 1 },
        { label: 'q', x: 1, y: 2 },
      ],
    });
    expect(notes(html)).toContain('Non-finite points skipped: 1 (points 1).');
    expect(html.match(/<g class="point"/g)?.length).toBe(1);
  });

  it('roc plot is log-log with zeros at the floor', () => {
    const html = page({
      kind: 'roc',
      title: 'roc',
      curves: [{ name: 'lira', fpr: [0, 0, 0.01, 0.1, 1], tpr: [0, 0.2, 0.3, 0.6, 1], auc: 0.8 }],
    });
    const svg = svgs(html)[0];
    expect(svg).toContain('data-x-scale="log"');
    expect(seriesPaths(svg)[0].coords.length).toBe(5);
    expect(domain(svg, 'x')).toEqual([0.001, 1]); // floor = min(1e-3, 0.01 / 10)
    expect(notes(html)).toContain('Points with a rate below 0.001 (such as 0) drawn at 0.001: 2 (lira 2).');
    expect(svg).toContain('lira (AUC 0.8)');
  });
});

describe('tables and numbers', () => {
  it('format number trims and switches notation', () => {
    expect(formatNumber(100.2, 3)).toBe('100');
    expect(formatNumber(1 / 3)).toBe('0.3333');
    expect(formatNumber(12.5)).toBe('12.5');
    expect(formatNumber(0.00001)).toBe('1e-5');
    expect(formatNumber(2_500_000.5)).toBe('2.5e+6');
    expect(formatNumber(42)).toBe('42');
  });

  it('table formats cells and marks missing ones', () => {
    const html = page({
      kind: 'table',
      title: 'eval',
      columns: ['metric', 'value'],
      rows: [
        ['acc', 0.812345],
        ['kl', null],
      ],
    });
    expect(html).toContain('<td class="num">0.8123</td>');
    expect(html).toContain('<td>—</td>');
  });
});

describe('metrics log', () => {
  const text =
    '{"step": 0, "loss": 2.5}\n\n{"step": 10, "loss": "NaN", "kl": 0.1}\n{"step": 20, "loss": 1.5, "kl": 0.2}\n';

  it('parse reads every object line', () => {
    expect(parseMetricsJsonl(text).length).toBe(3);
  });

  it('series keeps nan strings as numbers', () => {
    const s = seriesFromRecords(parseMetricsJsonl(text), 'loss');
    expect(s.x).toEqual([0, 10, 20]);
    expect(s.y[1]).toBeNaN();
    expect(curvesFromRecords(parseMetricsJsonl(text)).kl).toEqual({ x: [10, 20], y: [0.1, 0.2] });
  });

  it('parse names the bad line', () => {
    expect(() => parseMetricsJsonl('{"step": 1}\n{oops')).toThrow(MetricsParseError);
    expect(() => parseMetricsJsonl('{"step": 1}\n{oops')).toThrow(/line 2/);
    expect(() => parseMetricsJsonl('[1, 2]')).toThrow(/an array/);
  });
});

describe('comparison report', () => {
  // dpo: kl 2, 2.5, 3 (mean 2.5, sd 0.5); reward 0.5, 0.6, 0.7 (mean 0.6, sd 0.1).
  const runs: RunSummary[] = [
    {
      name: 'dpo-0',
      method: 'dpo',
      seed: 0,
      metrics: { kl: 2, reward: 0.5 },
      curves: { loss: { x: [0, 10], y: [1, 0.5] } },
    },
    {
      name: 'dpo-1',
      method: 'dpo',
      seed: 1,
      metrics: { kl: 2.5, reward: 0.6 },
      curves: { loss: { x: [0, 10], y: [3, 1.5] } },
    },
    { name: 'dpo-2', method: 'dpo', seed: 2, metrics: { kl: 3, reward: 0.7 } },
    { name: 'rk-0', method: 'dpo-rk', seed: 0, metrics: { kl: 1, reward: Number.NaN } },
  ];

  it('seed aggregate ignores non-finite values', () => {
    const a = aggregateSeeds([2, 2.5, 3, Number.NaN]);
    expect(a.mean).toBeCloseTo(2.5, 15);
    expect(a.sd).toBeCloseTo(0.5, 15);
    expect(a.n).toBe(3);
  });

  it('method table shows mean and spread', () => {
    const html = renderComparison(runs);
    expect(html).toContain('<td>2.5 ± 0.5 (n=3)</td>');
    expect(html).toContain('<td>0.6 ± 0.1 (n=3)</td>');
    expect(html).toContain('<td>1 (n=1)</td>');
  });

  it('trade-off plot picks kl and reward', () => {
    const spec = buildComparison(runs);
    const scatter = spec.sections.find((s) => s.kind === 'scatter');
    expect(scatter?.kind).toBe('scatter');
    if (scatter?.kind !== 'scatter') return;
    expect(scatter.points.length).toBe(1); // dpo-rk has no finite reward
    expect(scatter.points[0].x).toBeCloseTo(2.5, 15);
    expect(scatter.points[0].yErr).toBeCloseTo(0.1, 15);
  });

  it('curves average over seeds per step', () => {
    const spec = buildComparison(runs);
    const chart = spec.sections.find((s) => s.kind === 'lineChart');
    if (chart?.kind !== 'lineChart') throw new Error('no line chart');
    expect(chart.series[0].name).toBe('dpo (mean of 2)');
    expect(Array.from(chart.series[0].y)).toEqual([2, 1]);
  });

  it('explicit trade-off overrides the default', () => {
    const spec = buildComparison(runs, { tradeoff: { x: 'reward', y: 'kl' } });
    const scatter = spec.sections.find((s) => s.kind === 'scatter');
    if (scatter?.kind !== 'scatter') throw new Error('no scatter');
    expect(scatter.x.label).toBe('reward');
  });

  it('comparison page renders every svg with a view box', () => {
    const html = renderComparison(runs);
    const all = svgs(html);
    expect(all.length).toBe(2);
    for (const svg of all) expect(svg).toMatch(/viewBox=/);
  });
});
