// Line charts, trade-off scatter plots and log-log ROC plots as inline SVG.
import { escapeHtml, formatNumber, px } from './format.js';
import { makeScale, type Scale } from './scale.js';
import {
  axes,
  type Chart,
  cleanPoints,
  countNote,
  legend,
  noDataLabel,
  PALETTE,
  svgOpen,
  xPixel,
  yPixel,
} from './svg.js';
import type { LineChartSection, RocSection, ScatterPoint, ScatterSection } from './types.js';

/** Polyline path through points already in data space: "M x,y L x,y ...". */
function pathData(points: [number, number][], x: Scale, y: Scale): string {
  return points.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${px(xPixel(x, a))},${px(yPixel(y, b))}`).join(' ');
}

function seriesPath(name: string, color: string, points: [number, number][], x: Scale, y: Scale): string {
  const attrs = `class="series" data-series="${escapeHtml(name)}" data-points="${points.length}"`;
  let out = `<path ${attrs} d="${pathData(points, x, y)}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`;
  // A single point draws no line; mark it so it stays visible.
  if (points.length === 1) {
    const [a, b] = points[0];
    out += `<circle class="marker" cx="${px(xPixel(x, a))}" cy="${px(yPixel(y, b))}" r="3.5" fill="${color}"/>`;
  }
  return out;
}

/**
 * Draws one path per non-empty series. NaN and infinite values are skipped, and so are values <= 0
 * on a log axis. Each kind is counted in a note, and a series left with no points gets a "no data" note.
 */
export function lineChart(section: LineChartSection): Chart {
  const xKind = section.x.scale ?? 'linear';
  const yKind = section.y.scale ?? 'linear';
  const cleaned = section.series.map((s) => ({ name: s.name, ...cleanPoints(s.x, s.y, xKind, yKind) }));
  const all = cleaned.flatMap((c) => c.points);
  const x = makeScale(
    all.map((p) => p[0]),
    xKind,
  );
  const y = makeScale(
    all.map((p) => p[1]),
    yKind,
  );

  const body: string[] = [svgOpen(section.title, x, y), axes(x, y, section.x, section.y)];
  const entries: { name: string; color: string }[] = [];
  cleaned.forEach((c, i) => {
    const color = PALETTE[i % PALETTE.length];
    entries.push({ name: c.points.length === 0 ? `${c.name} (no data)` : c.name, color });
    if (c.points.length > 0) body.push(seriesPath(c.name, color, c.points, x, y));
  });
  if (all.length === 0) body.push(noDataLabel());
  body.push(legend(entries), '</svg>');

  const notes = [
    ...countNote(
      'Non-finite values skipped',
      cleaned.map((c) => ({ name: c.name, count: c.nonFinite })),
    ),
    ...countNote(
      'Values ≤ 0 left off the log axis',
      cleaned.map((c) => ({ name: c.name, count: c.nonPositive })),
    ),
  ];
  for (const s of section.series) {
    if (s.x.length !== s.y.length) {
      notes.push(
        `${s.name}: ${s.x.length} x values but ${s.y.length} y values; the extra values are ignored.`,
      );
    }
  }
  const empty = cleaned.filter((c) => c.points.length === 0).map((c) => c.name);
  if (section.series.length === 0) notes.push('No data: this chart has no series.');
  else if (empty.length > 0) notes.push(`No data: ${empty.join(', ')}.`);
  return { svg: body.join(''), notes };
}

/**
 * Draws labelled points with error bars (+-xErr, +-yErr, e.g. the spread over seeds). Points of one group
 * share a colour. The axis domains include the ends of every error bar (on a log axis, bar ends
 * <= 0 are cut at the axis).
 */
export function scatterChart(section: ScatterSection): Chart {
  const xKind = section.x.scale ?? 'linear';
  const yKind = section.y.scale ?? 'linear';
  const kept: ScatterPoint[] = [];
  let nonFinite = 0;
  let nonPositive = 0;
  for (const p of section.points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) nonFinite++;
    else if ((xKind === 'log' && p.x <= 0) || (yKind === 'log' && p.y <= 0)) nonPositive++;
    else kept.push(p);
  }
  const err = (e: number | undefined): number => (e !== undefined && Number.isFinite(e) ? Math.abs(e) : 0);
  const positive = (kind: string) => (v: number) => kind !== 'log' || v > 0;
  const x = makeScale(
    kept.flatMap((p) => [p.x - err(p.xErr), p.x + err(p.xErr)]).filter(positive(xKind)),
    xKind,
  );
  const y = makeScale(
    kept.flatMap((p) => [p.y - err(p.yErr), p.y + err(p.yErr)]).filter(positive(yKind)),
    yKind,
  );
  const clampX = (v: number) => Math.max(v, x.domain[0]);
  const clampY = (v: number) => Math.max(v, y.domain[0]);

  const groups = [...new Set(section.points.map((p) => p.group ?? p.label))];
  const colorOf = (p: ScatterPoint) => PALETTE[groups.indexOf(p.group ?? p.label) % PALETTE.length];
  const body: string[] = [svgOpen(section.title, x, y), axes(x, y, section.x, section.y)];
  for (const p of kept) {
    const color = colorOf(p);
    const cx = px(xPixel(x, p.x));
    const cy = px(yPixel(y, p.y));
    const bars: string[] = [];
    if (err(p.xErr) > 0) {
      const x1 = px(xPixel(x, clampX(p.x - err(p.xErr))));
      const x2 = px(xPixel(x, p.x + err(p.xErr)));
      bars.push(
        `<path class="error-bar" d="M${x1},${cy} L${x2},${cy} M${x1},${Number(cy) - 4} L${x1},${Number(cy) + 4} M${x2},${Number(cy) - 4} L${x2},${Number(cy) + 4}" stroke="${color}"/>`,
      );
    }
    if (err(p.yErr) > 0) {
      const y1 = px(yPixel(y, clampY(p.y - err(p.yErr))));
      const y2 = px(yPixel(y, p.y + err(p.yErr)));
      bars.push(
        `<path class="error-bar" d="M${cx},${y1} L${cx},${y2} M${Number(cx) - 4},${y1} L${Number(cx) + 4},${y1} M${Number(cx) - 4},${y2} L${Number(cx) + 4},${y2}" stroke="${color}"/>`,
      );
    }
    const tip = `${p.label}: x = ${formatNumber(p.x)}${err(p.xErr) > 0 ? ` ± ${formatNumber(err(p.xErr))}` : ''}, y = ${formatNumber(p.y)}${err(p.yErr) > 0 ? ` ± ${formatNumber(err(p.yErr))}` : ''}`;
    body.push(
      `<g class="point" data-label="${escapeHtml(p.label)}"><title>${escapeHtml(tip)}</title>${bars.join('')}` +
        `<circle cx="${cx}" cy="${cy}" r="5" fill="${color}"/>` +
        `<text x="${Number(cx) + 8}" y="${Number(cy) - 8}" class="point-label">${escapeHtml(p.label)}</text></g>`,
    );
  }
  if (kept.length === 0) body.push(noDataLabel());
  const showLegend = section.points.some((p) => p.group !== undefined);
  if (showLegend) body.push(legend(groups.map((g, i) => ({ name: g, color: PALETTE[i % PALETTE.length] }))));
  body.push('</svg>');

  const notes = [
    ...countNote('Non-finite points skipped', [{ name: 'points', count: nonFinite }]),
    ...countNote('Points ≤ 0 left off the log axis', [{ name: 'points', count: nonPositive }]),
  ];
  if (kept.length === 0) notes.push('No data: no point to plot.');
  return { svg: body.join(''), notes };
}

/**
 * Draws ROC curves on log-log axes with the chance diagonal. Rates of exactly 0 cannot sit on a log axis:
 * they are drawn at the floor and counted in a note.
 */
export function rocChart(section: RocSection): Chart {
  let smallest = 1;
  for (const c of section.curves) {
    for (const values of [c.fpr, c.tpr]) {
      for (let i = 0; i < values.length; i++) if (values[i] > 0 && values[i] < smallest) smallest = values[i];
    }
  }
  const floor = section.floor ?? Math.min(1e-3, smallest / 10);
  const cleaned = section.curves.map((c) => {
    const { points, nonFinite } = cleanPoints(c.fpr, c.tpr, 'linear', 'linear');
    let clamped = 0;
    const lifted = points.map(([f, t]): [number, number] => {
      if (f < floor || t < floor) clamped++;
      return [Math.max(f, floor), Math.max(t, floor)];
    });
    return { curve: c, points: lifted, nonFinite, clamped };
  });
  const x = makeScale([floor, 1], 'log');
  const y = makeScale([floor, 1], 'log');
  const body: string[] = [
    svgOpen(section.title, x, y),
    axes(x, y, { label: 'false positive rate' }, { label: 'true positive rate' }),
    `<path class="chance" d="M${px(xPixel(x, x.domain[0]))},${px(yPixel(y, y.domain[0]))} L${px(xPixel(x, 1))},${px(yPixel(y, 1))}" stroke="#aaa" stroke-dasharray="5 4" fill="none"/>`,
  ];
  const entries: { name: string; color: string }[] = [];
  cleaned.forEach((c, i) => {
    const color = PALETTE[i % PALETTE.length];
    const name =
      c.curve.auc === undefined ? c.curve.name : `${c.curve.name} (AUC ${formatNumber(c.curve.auc, 3)})`;
    entries.push({ name: c.points.length === 0 ? `${name} (no data)` : name, color });
    if (c.points.length > 0) body.push(seriesPath(c.curve.name, color, c.points, x, y));
  });
  if (cleaned.every((c) => c.points.length === 0)) body.push(noDataLabel());
  body.push(legend(entries), '</svg>');

  const notes = [
    ...countNote(
      'Non-finite rates skipped',
      cleaned.map((c) => ({ name: c.curve.name, count: c.nonFinite })),
    ),
    ...countNote(
      `Points with a rate below ${formatNumber(floor)} (such as 0) drawn at ${formatNumber(floor)}`,
      cleaned.map((c) => ({ name: c.curve.name, count: c.clamped })),
    ),
  ];
  const empty = cleaned.filter((c) => c.points.length === 0).map((c) => c.curve.name);
  if (section.curves.length === 0) notes.push('No data: this chart has no curve.');
  else if (empty.length > 0) notes.push(`No data: ${empty.join(', ')}.`);
  return { svg: body.join(''), notes };
}
