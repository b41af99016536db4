// renderReport: one self-contained HTML page (inline CSS and SVG; no scripts, fonts or network).
import { lineChart, rocChart, scatterChart } from './charts.js';
import type { Chart } from './svg.js';
import { escapeHtml, formatNumber } from './format.js';
import type { Cell, ReportSection, ReportSpec, RunMetadata } from './types.js';

// System fonts only: the page must render offline and identically without fetching anything.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1d2329;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px}
header{border-bottom:1px solid #d5d9de;margin-bottom:24px;padding-bottom:12px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 10px}
.subtitle{color:#56606b;margin:0 0 10px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0 0;font-size:14px}
dl.meta dt{color:#56606b}
dl.meta dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
section{background:#fff;border:1px solid #dde1e5;border-radius:6px;padding:16px 20px;margin:0 0 20px}
figure{margin:0}
svg{display:block;width:100%;height:auto;max-width:960px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1d2329}
svg .tick{font-size:12px;fill:#56606b}
svg .axis-title{font-size:14px}
svg .legend{font-size:13px}
svg .point-label{font-size:13px}
svg .no-data{font-size:18px;fill:#8a939c}
.note{color:#8a5a00;font-size:13px;margin:6px 0 0}
table{border-collapse:collapse;font-size:14px;width:100%}
th,td{border-bottom:1px solid #e6e8eb;padding:5px 10px;text-align:left;vertical-align:top}
th{background:#f0f2f4}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto}
.sample{margin:0 0 12px}
.sample h3{font-size:14px;margin:0 0 4px;color:#56606b}
.sample pre{margin:0;padding:10px 12px;background:#f6f7f9;border:1px solid #e6e8eb;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
p.text{white-space:pre-wrap;margin:0}
`;

/**
 * Renders a report as one HTML document. Every string of the spec is escaped. Charts are inline
 * SVG with a viewBox, laid out for a 1280 px wide window, and they scale down below that width.
 *
 * @example
 * renderReport({
 *   title: 'dpo-seed0',
 *   meta: { method: 'dpo', seed: 0 },
 *   sections: [{ kind: 'lineChart', title: 'Loss', x: { label: 'step' }, y: { label: 'loss', unit: 'nats' },
 *     series: [{ name: 'train', x: [0, 10, 20], y: [0.69, 0.52, 0.41] }] }],
 * });
 */
export function renderReport(spec: ReportSpec): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(spec.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header(spec),
    ...spec.sections.map(section),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(spec: ReportSpec): string {
  const parts = [`<header><h1>${escapeHtml(spec.title)}</h1>`];
  if (spec.subtitle) parts.push(`<p class="subtitle">${escapeHtml(spec.subtitle)}</p>`);
  if (spec.meta) parts.push(metaList(spec.meta));
  parts.push('</header>');
  return parts.join('');
}

function metaList(meta: RunMetadata): string {
  const rows = Object.entries(meta)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(cellText(v))}</dd>`);
  return rows.length === 0 ? '' : `<dl class="meta">${rows.join('')}</dl>`;
}

function section(s: ReportSection): string {
  switch (s.kind) {
    case 'lineChart':
      return figure(s.title, lineChart(s));
    case 'scatter':
      return figure(s.title, scatterChart(s));
    case 'roc':
      return figure(s.title, rocChart(s));
    case 'table':
      return `<section class="table"><h2>${escapeHtml(s.title)}</h2>${table(s.columns, s.rows, s.digits ?? 4)}</section>`;
    case 'samples':
      return `<section class="samples"><h2>${escapeHtml(s.title)}</h2>${s.samples
        .map(
          (x) =>
            `<div class="sample">${x.label ? `<h3>${escapeHtml(x.label)}</h3>` : ''}<pre>${escapeHtml(x.text)}</pre></div>`,
        )
        .join('')}${s.samples.length === 0 ? '<p class="note">No data: no samples.</p>' : ''}</section>`;
    case 'text':
      return `<section class="text">${s.title ? `<h2>${escapeHtml(s.title)}</h2>` : ''}<p class="text">${escapeHtml(s.text)}</p></section>`;
    default: {
      const unknown: never = s;
      throw new Error(
        `renderReport: unknown section kind ${JSON.stringify((unknown as { kind: unknown }).kind)}`,
      );
    }
  }
}

function figure(title: string, chart: Chart): string {
  const notes = chart.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('');
  return `<section class="chart"><h2>${escapeHtml(title)}</h2><figure>${chart.svg}</figure>${notes}</section>`;
}

function table(columns: string[], rows: Cell[][], digits: number): string {
  // Right-align a column's header when its cells are numbers, so it sits over them.
  const numeric = columns.map(
    (_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || r[j] == null),
  );
  const head = columns.map((c, j) => `<th${numeric[j] ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = row.map((v) => {
        const cls = typeof v === 'number' ? ' class="num"' : '';
        return `<td${cls}>${escapeHtml(cellText(v, digits))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  const empty = rows.length === 0 ? '<p class="note">No data: the table has no rows.</p>' : '';
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${empty}`;
}

function cellText(v: Cell, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v, digits);
  return String(v);
}
