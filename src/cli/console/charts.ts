/**
 * Charts as SVG rendered on the server: no script, no library, no network fetch from the page. Each
 * chart has a text alternative (`<title>`/`<desc>` and, beside it on the page, a table of its data).
 */
import type { BatchStatus } from '../../engine/index.js';
import { html, type SafeHtml } from '../../report/html.js';

/** Batch status -> CSS class (colours in console.css; the status is also in each bar's title). */
const BATCH_CLASS: Record<BatchStatus, string> = {
  Pending: 'b-pending',
  Running: 'b-running',
  Success: 'b-success',
  Failed: 'b-failed',
  Cancelled: 'b-cancelled',
};

/**
 * The batches as a timeline: one bar per batch in planned order, its width proportional to its size
 * (at least 1 unit, so that a batch of 1 among batches of 100 stays visible), coloured by status.
 */
export function batchTimeline(
  batches: readonly { index: number; size: number; status: BatchStatus }[],
  summary: string,
): SafeHtml {
  const width = 1000;
  const height = 28;
  const gap = batches.length > 200 ? 0 : 2;
  const total = batches.reduce((n, b) => n + b.size, 0) || 1;
  const usable = width - gap * Math.max(0, batches.length - 1);
  let x = 0;
  const bars = batches.map((batch) => {
    const w = Math.max(1, (batch.size / total) * usable);
    const bar = html`<rect class="${BATCH_CLASS[batch.status]}" x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="${height}"><title>Batch ${batch.index + 1}: ${batch.size} instances, ${batch.status}</title></rect>`;
    x += w + gap;
    return bar;
  });
  return html`<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" width="100%" height="${height}"><title id="timeline-title">${summary}</title>${bars}</svg>`;
}

/** One point of a compliance series: when a sweep ran and how much of the region bore the role after it. */
export interface CompliancePoint {
  at: number;
  /** 0-100 */
  percent: number;
  label: string;
}

export interface ComplianceSeries {
  name: string;
  points: CompliancePoint[];
}

/** Line colours and markers per series (colour and shape, so that the chart does not rely on colour alone). */
const SERIES_STYLES = [
  { className: 's0', marker: 'circle' },
  { className: 's1', marker: 'square' },
  { className: 's2', marker: 'diamond' },
  { className: 's3', marker: 'triangle' },
] as const;

/**
 * Compliance over time: one line per region, y = share of evaluated instances bearing the role after
 * each sweep (0-100 %), x = when the sweep ran.
 */
export function complianceChart(series: readonly ComplianceSeries[], description: string): SafeHtml {
  const width = 760;
  const height = 300;
  const left = 52;
  const right = 16;
  const top = 16;
  const bottom = 48;
  const all = series.flatMap((s) => s.points.map((p) => p.at));
  const minAt = Math.min(...all);
  const maxAt = Math.max(...all);
  const span = maxAt - minAt || 1;
  const xOf = (at: number) =>
    maxAt === minAt
      ? left + (width - left - right) / 2
      : left + ((at - minAt) / span) * (width - left - right);
  const yOf = (percent: number) => top + (1 - percent / 100) * (height - top - bottom);
  const grid = [0, 25, 50, 75, 100].map(
    (percent) =>
      html`<line class="grid" x1="${left}" x2="${width - right}" y1="${yOf(percent)}" y2="${yOf(percent)}"/><text class="axis" x="${left - 8}" y="${yOf(percent) + 4}" text-anchor="end">${percent}%</text>`,
  );
  const ticks = (maxAt === minAt ? [minAt] : [minAt, minAt + span / 2, maxAt]).map((at, index, all) => {
    // The first and last labels are anchored inside the plot, so that neither is cut at the edge.
    const anchor =
      all.length === 1 ? 'middle' : index === 0 ? 'start' : index === all.length - 1 ? 'end' : 'middle';
    return html`<text class="axis" x="${xOf(at).toFixed(1)}" y="${height - bottom + 18}" text-anchor="${anchor}">${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}</text>`;
  });
  const lines = series.map((s, index) => {
    const style = SERIES_STYLES[index % SERIES_STYLES.length]!;
    const points = s.points.map((p) => `${xOf(p.at).toFixed(1)},${yOf(p.percent).toFixed(1)}`).join(' ');
    const markers = s.points.map((p) =>
      marker(style.marker, xOf(p.at), yOf(p.percent), style.className, `${s.name} ${p.label}`),
    );
    return html`<g class="series ${style.className}"><polyline points="${points}" fill="none"/>${markers}</g>`;
  });
  let legendX = left;
  const legend = series.map((s, index) => {
    const style = SERIES_STYLES[index % SERIES_STYLES.length]!;
    const x = legendX;
    // About 7 units per character at the legend's 12px font, then a gap.
    legendX += 16 + s.name.length * 7 + 24;
    return html`<g class="legend ${style.className}">${marker(style.marker, x + 6, height - 12, style.className, s.name)}<text x="${x + 16}" y="${height - 8}">${s.name}</text></g>`;
  });
  return html`<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${width} ${height}" width="100%"><title id="chart-title">Compliance over time per region</title><desc id="chart-desc">${description}</desc>${grid}${ticks}${lines}${legend}</svg>`;
}

function marker(shape: string, x: number, y: number, className: string, label: string): SafeHtml {
  const title = html`<title>${label}</title>`;
  switch (shape) {
    case 'square':
      return html`<rect class="marker ${className}" x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8">${title}</rect>`;
    case 'diamond':
      return html`<polygon class="marker ${className}" points="${x.toFixed(1)},${(y - 5).toFixed(1)} ${(x + 5).toFixed(1)},${y.toFixed(1)} ${x.toFixed(1)},${(y + 5).toFixed(1)} ${(x - 5).toFixed(1)},${y.toFixed(1)}">${title}</polygon>`;
    case 'triangle':
      return html`<polygon class="marker ${className}" points="${x.toFixed(1)},${(y - 5).toFixed(1)} ${(x + 5).toFixed(1)},${(y + 4).toFixed(1)} ${(x - 5).toFixed(1)},${(y + 4).toFixed(1)}">${title}</polygon>`;
    default:
      return html`<circle class="marker ${className}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4">${title}</circle>`;
  }
}
