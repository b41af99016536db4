// Text helpers of the report: HTML escaping and number formatting.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML and SVG, in element content and in quoted attributes alike. Every piece of
 * user text (titles, labels, samples, metadata) passes through here, so `<script>` in a sample
 * is shown, not run.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Formats a number compactly: integers as they are (below 1e6), other values to `digits`
 * significant digits without trailing zeros, and exponent notation for very small or large ones.
 */
export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
    return trimZeros(value.toExponential(Math.max(0, digits - 1)));
  }
  return trimZeros(value.toPrecision(digits));
}

function trimZeros(text: string): string {
  // 1.2300 -> 1.23, 1.000e-5 -> 1e-5; zeros before the point (100) stay.
  const [mantissa, exponent] = text.split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

/** Joins an axis label and unit as "label (unit)", or returns the label alone. */
export function axisTitle(label: string, unit?: string): string {
  return unit ? `${label} (${unit})` : label;
}

/** Rounds an SVG coordinate to two decimals, which is finer than any screen pixel. */
export function px(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}
