/**
 * The HTML export: one self-contained file (inline CSS and SVG; no script, font, image or stylesheet is
 * fetched, so it opens offline, from a mail attachment or an OSS bucket alike). It holds the summary, a
 * chart of outcomes per batch for every execution, a chart of failures by code, and every instance; each
 * chart has its data beside it as a table. Print CSS keeps it readable on paper (colours kept, tables
 * repeat their header on every page, no row split across pages).
 *
 * Every value is escaped by the {@link html} template (ids, role names and ECS messages included).
 */
import { html, SafeHtml } from './html.js';
import type { ReportDocument, ReportExecution, RowOutcome } from './model.js';

/** Outcomes in the order the charts stack and the legends list them, with their CSS class. */
const OUTCOME_STYLES: readonly { outcome: RowOutcome; className: string }[] = [
  { outcome: 'Attached', className: 'o-attached' },
  { outcome: 'Replaced', className: 'o-replaced' },
  { outcome: 'AlreadyAttached', className: 'o-already' },
  { outcome: 'Updated', className: 'o-attached' },
  { outcome: 'AlreadyCompliant', className: 'o-already' },
  { outcome: 'Detached', className: 'o-detached' },
  { outcome: 'Restored', className: 'o-replaced' },
  { outcome: 'Reverted', className: 'o-detached' },
  { outcome: 'Skipped', className: 'o-skipped' },
  { outcome: 'Failed', className: 'o-failed' },
  { outcome: 'Cancelled', className: 'o-cancelled' },
  { outcome: 'Pending', className: 'o-pending' },
];

const CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 18px 0 6px; }
code, .mono { font: 12.5px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
.muted { color: var(--muted); }
.meta, .totals { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 10px 0; padding: 0; }
.meta div, .totals div { min-width: 90px; }
dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
dd { margin: 0; font-weight: 600; }
.totals dd { font-size: 22px; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; background: #6e7781; font-weight: 600; }
.status.Success { background: #1a7f37; } .status.Failed { background: #cf222e; } .status.Waiting { background: #9a6700; }
.status.Running { background: #0969da; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; }
svg text { font-size: 11px; fill: var(--muted); }
svg .label { fill: var(--fg); font-size: 12px; }
svg .grid { stroke: var(--line); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 4px 0; padding: 0; list-style: none; font-size: 12px; }
.key { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: baseline; }
.o-attached { fill: #1a7f37; background: #1a7f37; } .o-already { fill: #7ee2a8; background: #7ee2a8; }
.o-replaced { fill: #0969da; background: #0969da; } .o-detached { fill: #8250df; background: #8250df; }
.o-skipped { fill: #afb8c1; background: #afb8c1; } .o-failed { fill: #cf222e; background: #cf222e; }
.o-cancelled { fill: #57606a; background: #57606a; } .o-pending { fill: #eaeef2; background: #eaeef2; }
.bar-failed { fill: #cf222e; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; } section { break-inside: auto; }
  thead { display: table-header-group; }
  tr, svg, .legend { break-inside: avoid; }
  table { font-size: 8.5pt; }
  th, td { padding: 2px 4px; overflow-wrap: anywhere; }
}
@page { margin: 14mm 12mm; }
`;

/** The whole document as one HTML file. */
export function renderHtml(document: ReportDocument): string {
  const title = `ecs-role-attach report: ${document.id}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(CSS)}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p><span class="status ${document.status}">${document.status}</span>${document.statusReason ? html` ${document.statusReason}` : ''}</p>
<dl class="meta">
<div><dt>Kind</dt><dd>${document.kind}</dd></div>
<div><dt>Role</dt><dd>${document.ramRoleName}</dd></div>
<div><dt>Executions</dt><dd>${document.executions.length}</dd></div>
<div><dt>Generated</dt><dd><time datetime="${document.generatedAt}">${document.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time></dd></div>
</dl>
</header>
<main>
<section aria-labelledby="summary">
<h2 id="summary">Summary</h2>
${totals(document)}
${executionsTable(document.executions)}
</section>
<section aria-labelledby="batches">
<h2 id="batches">Outcomes per batch</h2>
${document.executions.some((e) => e.batches.length > 0) ? document.executions.filter((e) => e.batches.length > 0).map(batchSection) : html`<p class="muted">No batch: every instance was decided at planning (nothing to write).</p>`}
</section>
<section aria-labelledby="failures">
<h2 id="failures">Failures by code</h2>
${failures(document)}
</section>
<section aria-labelledby="instances">
<h2 id="instances">Instances (${document.instances.length})</h2>
${instancesTable(document)}
</section>
</main>
</body>
</html>
`;
  return page.value;
}

function totals(document: ReportDocument): SafeHtml {
  const entries = OUTCOME_STYLES.filter(({ outcome }) => (document.totals[outcome] ?? 0) > 0);
  return html`<dl class="totals">
<div><dt>Instances</dt><dd>${document.totals.instances}</dd></div>
${entries.map(({ outcome }) => html`<div><dt>${outcome}</dt><dd>${document.totals[outcome] ?? 0}</dd></div>`)}
</dl>`;
}

function executionsTable(executions: readonly ReportExecution[]): SafeHtml {
  const withAccount = executions.some((e) => e.accountId !== '');
  return html`<table>
<caption>Executions</caption>
<thead><tr>${withAccount ? html`<th scope="col">Account</th>` : ''}<th scope="col">Region</th><th scope="col">Execution</th><th scope="col">Status</th><th scope="col" class="num">Targets</th><th scope="col" class="num">Attached</th><th scope="col" class="num">Already</th><th scope="col" class="num">Skipped</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Not attempted</th><th scope="col">Reason</th></tr></thead>
<tbody>
${executions.map((e) => {
  const c = e.counts;
  const n = (value: number | undefined) => (c === undefined ? '' : String(value ?? 0));
  return html`<tr>${withAccount ? html`<td class="mono">${e.accountId}</td>` : ''}<td>${e.regionId}</td><td class="mono">${e.executionId}</td><td>${e.status}</td><td class="num">${n(c?.total)}</td><td class="num">${n(c && c.attached + c.replaced + (c.updated ?? 0) + (c.detached ?? 0) + (c.restored ?? 0))}</td><td class="num">${n(c && c.alreadyAttached + (c.alreadyCompliant ?? 0))}</td><td class="num">${n(c?.skipped)}</td><td class="num">${n(c?.failed)}</td><td class="num">${n(c && c.cancelled + c.pending)}</td><td>${e.code ? html`<code>${e.code}</code> ` : ''}${e.statusReason ?? ''}</td></tr>`;
})}
</tbody>
</table>`;
}

/** A legend of the outcomes present (colour and name, so the chart does not rely on colour alone). */
function legend(outcomes: readonly RowOutcome[]): SafeHtml {
  return html`<ul class="legend">${OUTCOME_STYLES.filter(({ outcome }) => outcomes.includes(outcome)).map(
    ({ outcome, className }) => html`<li><span class="key ${className}"></span>${outcome}</li>`,
  )}</ul>`;
}

function batchSection(execution: ReportExecution): SafeHtml {
  const present = OUTCOME_STYLES.map((s) => s.outcome).filter((outcome) =>
    execution.batches.some((b) => (b.outcomes[outcome] ?? 0) > 0),
  );
  const where = execution.accountId ? `${execution.accountId} / ${execution.regionId}` : execution.regionId;
  return html`<h3>${where} <span class="mono muted">${execution.executionId}</span></h3>
${batchChart(execution, present)}
${legend(present)}
<table>
<caption>Outcomes per batch of ${execution.executionId}</caption>
<thead><tr><th scope="col">Batch</th><th scope="col" class="num">Size</th><th scope="col">Status</th>${present.map((o) => html`<th scope="col" class="num">${o}</th>`)}</tr></thead>
<tbody>
${execution.batches.map((b) => html`<tr><th scope="row">#${b.number}</th><td class="num">${b.size}</td><td>${b.status}</td>${present.map((o) => html`<td class="num">${b.outcomes[o] ?? 0}</td>`)}</tr>`)}
</tbody>
</table>`;
}

/**
 * One column per batch, as tall as the batch is large, stacked by outcome (instances not yet done are
 * `Pending`). The y axis is linear up to the largest batch: a canary batch of 1 beside batches of 100 is
 * a sliver, which is what it is; its exact figures are in the table.
 */
function batchChart(execution: ReportExecution, present: readonly RowOutcome[]): SafeHtml {
  const width = 900;
  const height = 220;
  const left = 44;
  const bottom = 26;
  const top = 8;
  const plot = height - top - bottom;
  const max = Math.max(1, ...execution.batches.map((b) => b.size));
  const slot = (width - left) / execution.batches.length;
  const barWidth = Math.max(1, slot * (execution.batches.length > 60 ? 1 : 0.8));
  const every = Math.max(1, Math.ceil(execution.batches.length / 20));
  const columns = execution.batches.map((batch, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    let y = top + plot;
    const stack = present.map((outcome) => {
      const count = batch.outcomes[outcome] ?? 0;
      if (count === 0) return '';
      const h = (count / max) * plot;
      y -= h;
      const className = OUTCOME_STYLES.find((s) => s.outcome === outcome)?.className ?? '';
      return html`<rect class="${className}" x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${barWidth.toFixed(2)}" height="${h.toFixed(2)}"><title>Batch ${batch.number}: ${count} ${outcome}</title></rect>`;
    });
    const label =
      index % every === 0
        ? html`<text x="${(x + barWidth / 2).toFixed(2)}" y="${height - 8}" text-anchor="middle">#${batch.number}</text>`
        : '';
    return html`<g>${stack}${label}</g>`;
  });
  const grid = [0, 0.5, 1].map((share) => {
    const y = top + plot * (1 - share);
    return html`<line class="grid" x1="${left}" x2="${width}" y1="${y.toFixed(2)}" y2="${y.toFixed(2)}"/><text x="${left - 6}" y="${(y + 4).toFixed(2)}" text-anchor="end">${Math.round(max * share)}</text>`;
  });
  const summary = `Outcomes of ${execution.batches.length} batches of ${execution.executionId}`;
  return html`<svg role="img" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet"><title>${summary}</title>${grid}${columns}</svg>`;
}

/** One bar per code, as long as its count, then the table with the first message of each code. */
function failures(document: ReportDocument): SafeHtml {
  const groups = document.failuresByCode;
  if (groups.length === 0) return html`<p>No failure.</p>`;
  const width = 900;
  const row = 24;
  const labelWidth = 300;
  const max = Math.max(...groups.map((g) => g.count));
  const bars = groups.map((group, index) => {
    const y = index * row;
    const w = Math.max(2, (group.count / max) * (width - labelWidth - 60));
    return html`<text class="label" x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${group.code}</text><rect class="bar-failed" x="${labelWidth}" y="${y + 4}" width="${w.toFixed(2)}" height="${row - 8}"><title>${group.code}: ${group.count}</title></rect><text class="label" x="${(labelWidth + w + 6).toFixed(2)}" y="${y + 16}">${group.count}</text>`;
  });
  return html`<svg role="img" viewBox="0 0 ${width} ${groups.length * row}" width="100%" preserveAspectRatio="xMinYMin meet"><title>Failed instances by error code</title>${bars}</svg>
<table>
<caption>Failed instances by error code</caption>
<thead><tr><th scope="col">Code</th><th scope="col" class="num">Instances</th><th scope="col">Message (first seen)</th></tr></thead>
<tbody>
${groups.map((g) => html`<tr><td><code>${g.code}</code></td><td class="num">${g.count}</td><td>${g.message ?? ''}</td></tr>`)}
</tbody>
</table>`;
}

function instancesTable(document: ReportDocument): SafeHtml {
  const withAccount = document.instances.some((r) => r.accountId !== '');
  const withRule = document.instances.some((r) => r.rule !== undefined);
  return html`<table>
<caption>One row per instance</caption>
<thead><tr>${withAccount ? html`<th scope="col">Account</th>` : ''}<th scope="col">Region</th><th scope="col">Execution</th><th scope="col" class="num">Batch</th><th scope="col">Instance</th>${withRule ? html`<th scope="col">Rule</th>` : ''}<th scope="col">Role</th><th scope="col">Outcome</th><th scope="col">Reason / code</th><th scope="col">Message</th><th scope="col">Previous role</th></tr></thead>
<tbody>
${document.instances.map(
  (r) =>
    html`<tr>${withAccount ? html`<td class="mono">${r.accountId}</td>` : ''}<td>${r.regionId}</td><td class="mono">${r.executionId}</td><td class="num">${r.batch ?? ''}</td><td class="mono">${r.instanceId}</td>${withRule ? html`<td>${r.rule ?? ''}</td>` : ''}<td>${r.role}</td><td>${r.outcome}</td><td>${r.reason ?? ''}</td><td>${r.message ?? ''}</td><td>${r.previousRole ?? ''}</td></tr>`,
)}
</tbody>
</table>`;
}
