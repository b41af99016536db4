// Shared SVG pieces: the chart frame, axes with ticks and titles, the legend, and point cleaning.
import type { AxisSpec, Numbers } from './types.js';
import { axisTitle, escapeHtml, formatNumber, px } from './format.js';
import type { Scale } from './scale.js';

export const PALETTE = [
  '#1f6fb4',
  '#e8710a',
  '#2a9d3c',
  '#c62d42',
  '#7b4fb3',
  '#8c5a2b',
  '#d0459b',
  '#6b6b6b',
  '#a3a10f',
  '#139aa8',
];

/** Chart geometry in SVG user units; the SVG scales to its container through its viewBox. */
export const FRAME = { width: 960, height: 440, left: 84, right: 210, top: 20, bottom: 64 } as const;
const PLOT_WIDTH = FRAME.width - FRAME.left - FRAME.right;
const PLOT_HEIGHT = FRAME.height - FRAME.top - FRAME.bottom;

export interface Chart {
  svg: string;
  /** Sentences about data that was skipped or clamped, shown under the chart. */
  notes: string[];
}

export function xPixel(scale: Scale, value: number): number {
  return FRAME.left + scale.fraction(value) * PLOT_WIDTH;
}

export function yPixel(scale: Scale, value: number): number {
  return FRAME.top + (1 - scale.fraction(value)) * PLOT_HEIGHT;
}

/** Opening tag; the data-* attributes let tests and tools read the axis domains back. */
export function svgOpen(title: string, x: Scale, y: Scale): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${FRAME.width} ${FRAME.height}" ` +
    `width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${escapeHtml(title)}" ` +
    `data-x-scale="${x.kind}" data-y-scale="${y.kind}" ` +
    `data-x-domain="${x.domain[0]} ${x.domain[1]}" data-y-domain="${y.domain[0]} ${y.domain[1]}">`
  );
}

/** Grid lines, tick labels and the two axis titles. */
export function axes(x: Scale, y: Scale, xAxis: AxisSpec, yAxis: AxisSpec): string {
  const parts: string[] = [];
  const bottom = FRAME.top + PLOT_HEIGHT;
  const right = FRAME.left + PLOT_WIDTH;
  parts.push(
    `<rect class="plot-area" x="${FRAME.left}" y="${FRAME.top}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="#fff" stroke="#999"/>`,
  );

  for (const t of x.ticks) {
    const xp = px(xPixel(x, t));
    parts.push(`<line x1="${xp}" y1="${FRAME.top}" x2="${xp}" y2="${bottom}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${xp}" y="${bottom + 18}" text-anchor="middle" class="tick">${escapeHtml(formatNumber(t, 3))}</text>`,
    );
  }
  for (const t of y.ticks) {
    const yp = px(yPixel(y, t));
    parts.push(`<line x1="${FRAME.left}" y1="${yp}" x2="${right}" y2="${yp}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${FRAME.left - 8}" y="${yp}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(formatNumber(t, 3))}</text>`,
    );
  }

  const xTitle = axisTitle(xAxis.label, xAxis.unit) + (x.kind === 'log' ? ', log scale' : '');
  const yTitle = axisTitle(yAxis.label, yAxis.unit) + (y.kind === 'log' ? ', log scale' : '');
  parts.push(
    `<text x="${px(FRAME.left + PLOT_WIDTH / 2)}" y="${FRAME.height - 14}" text-anchor="middle" class="axis-title">${escapeHtml(xTitle)}</text>`,
  );
  const midY = px(FRAME.top + PLOT_HEIGHT / 2);
  parts.push(
    `<text x="18" y="${midY}" text-anchor="middle" transform="rotate(-90 18 ${midY})" class="axis-title">${escapeHtml(yTitle)}</text>`,
  );
  return parts.join('');
}

/** Legend to the right of the plot: one swatch and name per entry. Long names are cut, full name in a tooltip. */
export function legend(entries: { name: string; color: string }[]): string {
  const x = FRAME.left + PLOT_WIDTH + 16;
  return entries
    .map((e, i) => {
      const y = FRAME.top + 8 + i * 20;
      const shown = e.name.length > 26 ? `${e.name.slice(0, 25)}…` : e.name;
      return (
        `<g class="legend-entry"><title>${escapeHtml(e.name)}</title>` +
        `<rect x="${x}" y="${y}" width="14" height="4" fill="${e.color}"/>` +
        `<text x="${x + 20}" y="${y + 2}" dy="0.32em" class="legend">${escapeHtml(shown)}</text></g>`
      );
    })
    .join('');
}

/** Centered "no data" message inside the plot area. */
export function noDataLabel(): string {
  return `<text x="${px(FRAME.left + PLOT_WIDTH / 2)}" y="${px(FRAME.top + PLOT_HEIGHT / 2)}" text-anchor="middle" class="no-data">no data</text>`;
}

export interface CleanPoints {
  points: [number, number][];
  /** Pairs with NaN or +-Infinity in x or y. */
  nonFinite: number;
  /** Finite pairs with a value <= 0 on a log axis. */
  nonPositive: number;
}

/** Keeps the (x, y) pairs that can be drawn on the given axis kinds, counting the rest. */
export function cleanPoints(xs: Numbers, ys: Numbers, xKind: string, yKind: string): CleanPoints {
  const points: [number, number][] = [];
  let nonFinite = 0;
  let nonPositive = 0;
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) nonFinite++;
    else if ((xKind === 'log' && x <= 0) || (yKind === 'log' && y <= 0)) nonPositive++;
    else points.push([x, y]);
  }
  return { points, nonFinite, nonPositive };
}

/** e.g. "Non-finite values skipped: 3 (loss 2, kl 1)."; nothing when every count is 0. */
export function countNote(label: string, counts: { name: string; count: number }[]): string[] {
  const hit = counts.filter((c) => c.count > 0);
  if (hit.length === 0) return [];
  const total = hit.reduce((a, c) => a + c.count, 0);
  return [`${label}: ${total} (${hit.map((c) => `${c.name} ${c.count}`).join(', ')}).`];
}
