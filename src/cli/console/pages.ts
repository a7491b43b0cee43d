/**
 * The console's pages, rendered on the server as plain HTML that works without JavaScript (the one
 * script only refreshes the `data-live` regions of a page that is still changing). Accessible markup:
 * a skip link, labelled form fields, tables with captions and header cells, text beside every colour.
 */
import {
  EXECUTION_STATUSES,
  type ExecutionRecord,
  type ExecutionStatus,
  type OperatorAction,
  OUTCOMES,
  TERMINAL_STATUSES,
} from '../../engine/index.js';
import { html, query, type SafeHtml } from '../../report/html.js';
import { batchTimeline, type ComplianceSeries, complianceChart } from './charts.js';
import type {
  ExecutionSummary,
  InstancePage,
  InstanceQuery,
  InstanceRow,
  OutcomeGroup,
} from './executionViews.js';

/** What every page's frame shows. */
export interface Frame {
  title: string;
  /** The navigation entry of this page. */
  section: 'executions' | 'compliance';
  /** Where the state store is (shown in the header). */
  location: string;
  /** Poll interval of the live regions, ms; 0 when nothing on the page can change any more. */
  pollMs: number;
  notice?: { text: string; kind: 'info' | 'error' };
}

/** The page frame: header, navigation, the live-update script, `<main>`. */
export function layout(frame: Frame, body: SafeHtml): string {
  const nav = (section: Frame['section'], href: string, label: string) =>
    html`<a href="${href}"${section === frame.section ? html` aria-current="page"` : ''}>${label}</a>`;
  const notice = frame.notice
    ? html`<p class="notice ${frame.notice.kind}" role="${frame.notice.kind === 'error' ? 'alert' : 'status'}">${frame.notice.text}</p>`
    : '';
  return `<!doctype html>\n${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${frame.title} · ecs-role-attach console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand">ecs-role-attach console</p>
<nav aria-label="Console">${nav('executions', '/', 'Executions')}${nav('compliance', '/compliance', 'Compliance')}</nav>
<p class="store">State <code>${frame.location}</code></p>
</header>
<main id="main" tabindex="-1" data-poll="${frame.pollMs}">
${notice}
${body}
</main>
</body>
</html>`.value
  }\n`;
}

function statusBadge(status: ExecutionStatus | string): SafeHtml {
  return html`<span class="badge st-${status.toLowerCase()}">${status}</span>`;
}

function time(iso: string | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The role, or the rules and their roles, of an execution (from execution.json alone). */
export function roleOf(record: ExecutionRecord): string {
  const { rules, ramRoleName } = record.parameters;
  if (!rules) return ramRoleName;
  const named = rules.rules.map((rule) => `${rule.name} → ${rule.role}`);
  const more = named.length > 3 ? `, +${named.length - 3} more` : '';
  return `rules: ${named.slice(0, 3).join(', ')}${more}`;
}

/** Executions, newest first, filterable by status. */
export function executionsPage(
  records: readonly ExecutionRecord[],
  status: ExecutionStatus | undefined,
): SafeHtml {
  const options = EXECUTION_STATUSES.filter((s) => s !== 'Planned').map(
    (s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`,
  );
  const rows = records.map((r) => {
    const c = r.counts;
    const done = c.total - c.pending;
    return html`<tr data-status="${r.status}">
<th scope="row"><a href="/executions/${r.executionId}">${r.executionId}</a></th>
<td>${statusBadge(r.status)}</td>
<td>${r.origin}</td>
<td>${r.parameters.regionId}</td>
<td>${roleOf(r)}</td>
<td class="num">${c.total}</td>
<td class="num">${done}</td>
<td class="num">${c.failed}</td>
<td class="num">${c.pending}</td>
<td>${time(r.createdAt)}</td>
<td>${isTerminal(r.status) ? time(r.updatedAt) : html`<span class="muted">—</span>`}</td>
<td>${r.status === 'Waiting' ? (r.pauseReason ?? r.statusReason ?? '') : ''}</td>
</tr>`;
  });
  return html`<h1>Executions</h1>
<form class="filters" method="get" action="/">
<label for="status">Status</label>
<select id="status" name="status"><option value="">All statuses</option>${options}</select>
<button type="submit">Filter</button>
</form>
<div data-live="executions">
<table class="list">
<caption>${records.length} execution${records.length === 1 ? '' : 's'}${status ? ` with status ${status}` : ''}, newest first</caption>
<thead><tr><th scope="col">Execution</th><th scope="col">Status</th><th scope="col">Origin</th><th scope="col">Region</th><th scope="col">Role</th><th scope="col" class="num">Targets</th><th scope="col" class="num">Done</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Pending</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Paused because</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="12">No executions${status ? ` with status ${status}` : ''} yet.</td></tr>`}</tbody>
</table>
</div>`;
}

/** Human labels of the counts, in report order. */
const COUNT_LABELS: [keyof ExecutionSummary['counts'], string][] = [
  ['total', 'Targets'],
  ['attached', 'Attached'],
  ['alreadyAttached', 'Already attached'],
  ['replaced', 'Replaced'],
  ['detached', 'Detached'],
  ['restored', 'Restored'],
  ['skipped', 'Skipped'],
  ['failed', 'Failed'],
  ['cancelled', 'Cancelled'],
  ['pending', 'Pending'],
];

/** The decisions the console offers for a status, as the CLI's resume / retry / cancel. */
export function actionsFor(status: ExecutionStatus): OperatorAction[] {
  if (status === 'Waiting') return ['continue', 'retry', 'cancel'];
  if (status === 'Running') return ['cancel'];
  return [];
}

const ACTION_LABELS: Record<OperatorAction, { label: string; help: string }> = {
  continue: { label: 'Continue', help: 'keep the failures as failed and go on (ecs-role-attach resume)' },
  retry: {
    label: 'Retry failed',
    help: 're-attempt the failed instances, then go on (ecs-role-attach retry)',
  },
  cancel: { label: 'Cancel', help: 'stop; targets not yet attempted end Cancelled (ecs-role-attach cancel)' },
};

export interface ExecutionPageInput {
  record: ExecutionRecord;
  summary: ExecutionSummary;
  page: InstancePage;
  query: InstanceQuery;
  /** A fresh CSRF token for this page's decision form. */
  csrf: string;
  /** This console process is driving the execution (after a decision taken here). */
  driving: boolean;
}

/** One execution: counts, batch timeline, failures by code, skips by reason, decisions, instance table. */
export function executionPage(input: ExecutionPageInput): SafeHtml {
  const { record, summary } = input;
  const id = record.executionId;
  const p = record.parameters;
  const c = summary.counts;
  const counts = COUNT_LABELS.filter(
    ([key]) =>
      c[key] !== undefined && (c[key] !== 0 || key === 'total' || key === 'failed' || key === 'pending'),
  ).map(([key, label]) => html`<div class="count c-${key}"><dt>${label}</dt><dd>${c[key] ?? 0}</dd></div>`);
  const byStatus = new Map<string, number>();
  for (const batch of summary.batches) byStatus.set(batch.status, (byStatus.get(batch.status) ?? 0) + 1);
  const batchText = `${summary.batches.length} batch${summary.batches.length === 1 ? '' : 'es'}: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ') || 'none (nothing to write)'}`;
  const actions = actionsFor(record.status);
  const decision = actions.length
    ? html`<section aria-labelledby="decide-h" class="decide">
<h2 id="decide-h">Decision</h2>
<form method="post" action="/executions/${id}/decision">
<input type="hidden" name="csrf" value="${input.csrf}">
${actions.map((action) => html`<button type="submit" name="action" value="${action}" class="act-${action}" aria-describedby="help-${action}">${ACTION_LABELS[action].label}</button>`)}
</form>
<ul class="help">${actions.map((action) => html`<li id="help-${action}"><strong>${ACTION_LABELS[action].label}</strong>: ${ACTION_LABELS[action].help}</li>`)}</ul>
${record.taskToken !== undefined ? html`<p>A CloudFlow workflow waits on this execution: a decision resumes it (ReportTaskSucceeded) and the workflow drives the execution on.</p>` : ''}
</section>`
    : '';
  return html`<h1>Execution <code>${id}</code></h1>
<div data-live="head" data-status="${record.status}" aria-live="polite">
<p class="status-line">${statusBadge(record.status)} ${record.statusReason ?? ''}${input.driving ? html` <span class="muted">(driven by this console)</span>` : ''}${summary.inFlight > 0 ? html` <span class="muted">${summary.inFlight} instances in flight</span>` : ''}</p>
<dl class="meta">
<div><dt>Region</dt><dd>${p.regionId}</dd></div>
<div><dt>${p.rules ? 'Rules' : 'Role'}</dt><dd>${roleOf(record)}</dd></div>
<div><dt>Mode</dt><dd>${p.mode}</dd></div>
<div><dt>On conflict</dt><dd>${p.onConflict}</dd></div>
<div><dt>Rate control</dt><dd><code>${JSON.stringify(p.rateControl)}</code></dd></div>
<div><dt>Origin</dt><dd>${record.origin}${record.rollbackOf ? html` of <a href="/executions/${record.rollbackOf}">${record.rollbackOf}</a>` : ''}</dd></div>
<div><dt>Started</dt><dd>${time(record.createdAt)}</dd></div>
<div><dt>${isTerminal(record.status) ? 'Finished' : 'Updated'}</dt><dd>${time(record.updatedAt)}</dd></div>
${record.status === 'Waiting' && record.pauseReason ? html`<div><dt>Paused because</dt><dd>${record.pauseReason}</dd></div>` : ''}
</dl>
<h2>Counts</h2>
<dl class="counts">${counts}</dl>
<h2 id="batches-h">Batches</h2>
<p id="batches-text">${batchText}</p>
${summary.batches.length ? batchTimeline(summary.batches, batchText) : ''}
<p class="legend-text" aria-hidden="true"><span class="key b-success"></span>Success <span class="key b-failed"></span>Failed <span class="key b-running"></span>Running <span class="key b-pending"></span>Pending <span class="key b-cancelled"></span>Cancelled</p>
</div>
<div data-live="decision" data-version="${record.status}:${actions.join(',')}:${record.taskToken !== undefined}">${decision}</div>
<div data-live="groups">
${groupSection('failures', 'Failures by code', summary.failures, id, 'Failed')}
${groupSection('skipped', 'Skipped by reason', summary.skipped, id, 'Skipped')}
</div>
${instanceTable(id, input.page, input.query)}`;
}

function groupSection(
  key: string,
  title: string,
  groups: readonly OutcomeGroup[],
  id: string,
  outcome: 'Failed' | 'Skipped',
): SafeHtml {
  if (groups.length === 0)
    return html`<section aria-labelledby="${key}-h"><h2 id="${key}-h">${title}</h2><p>None.</p></section>`;
  const rows = groups.map(
    (g) => html`<tr>
<th scope="row"><code>${g.key}</code></th>
<td class="num">${g.count}</td>
<td>${g.message ?? ''}${g.otherMessages ? html` <span class="muted">(+${g.otherMessages} other messages)</span>` : ''}</td>
<td>${g.sample.join(', ')}${g.count > g.sample.length ? ` … and ${g.count - g.sample.length} more` : ''} <a href="/executions/${id}${query({ outcome, detail: g.key })}#instances">all ${g.count}</a></td>
</tr>`,
  );
  return html`<section aria-labelledby="${key}-h"><h2 id="${key}-h">${title}</h2>
<table class="groups"><caption class="sr-only">${title}</caption>
<thead><tr><th scope="col">${outcome === 'Failed' ? 'Code' : 'Reason'}</th><th scope="col" class="num">Instances</th><th scope="col">Message</th><th scope="col">Which</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function instanceTable(id: string, page: InstancePage, q: InstanceQuery): SafeHtml {
  const outcomes = ['Pending', ...OUTCOMES].map(
    (o) => html`<option value="${o}"${o === q.outcome ? html` selected` : ''}>${o}</option>`,
  );
  const link = (target: number) =>
    `/executions/${id}${query({ outcome: q.outcome, detail: q.detail, q: q.search, page: target })}#instances`;
  const rows = page.rows.map(
    (row: InstanceRow) =>
      html`<tr><th scope="row"><code>${row.instanceId}</code></th><td>${row.outcome}</td><td>${row.detail ?? ''}</td><td>${row.message ?? ''}</td></tr>`,
  );
  const from = page.matching === 0 ? 0 : (page.page - 1) * q.pageSize + 1;
  const to = (page.page - 1) * q.pageSize + page.rows.length;
  return html`<section aria-labelledby="instances-h" id="instances">
<h2 id="instances-h">Instances</h2>
<form class="filters" method="get" action="/executions/${id}#instances" role="search">
<label for="f-outcome">Outcome</label>
<select id="f-outcome" name="outcome"><option value="">Any outcome</option>${outcomes}</select>
<label for="f-q">Search</label>
<input id="f-q" name="q" type="search" value="${q.search ?? ''}" placeholder="instance id, code or message">
${q.detail ? html`<input type="hidden" name="detail" value="${q.detail}">` : ''}
<button type="submit">Search</button>
${q.outcome || q.search || q.detail ? html`<a href="/executions/${id}#instances">Clear</a>` : ''}
</form>
<div data-live="instances">
<table class="instances">
<caption>Instances ${from}–${to} of ${page.matching}${q.outcome ? ` with outcome ${q.outcome}` : ''}${q.detail ? ` (${q.detail})` : ''}${q.search ? ` matching “${q.search}”` : ''}; page ${page.page} of ${page.pages}</caption>
<thead><tr><th scope="col">Instance</th><th scope="col">Outcome</th><th scope="col">Code or reason</th><th scope="col">Message</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4">No instance matches.</td></tr>`}</tbody>
</table>
<nav class="pager" aria-label="Instance pages">
${page.page > 1 ? html`<a href="${link(1)}">First</a> <a href="${link(page.page - 1)}" rel="prev">Previous</a>` : html`<span class="muted">First</span> <span class="muted">Previous</span>`}
<span>Page ${page.page} of ${page.pages}</span>
${page.page < page.pages ? html`<a href="${link(page.page + 1)}" rel="next">Next</a> <a href="${link(page.pages)}">Last</a>` : html`<span class="muted">Next</span> <span class="muted">Last</span>`}
</nav>
</div>
</section>`;
}

/** One sweep execution on the compliance page. */
export interface SweepPoint {
  record: ExecutionRecord;
  evaluated: number;
  compliantAfter: number;
}

export interface CompliancePageInput {
  /** Sweep executions per region, oldest first. */
  regions: { regionId: string; role: string; sweeps: SweepPoint[] }[];
  /** Instances not bearing the role after each region's latest sweep. */
  nonCompliant: { regionId: string; executionId: string; row: InstanceRow }[];
  nonCompliantTotal: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** The sweeps' compliance over time per region, and the instances not compliant now. */
export function compliancePage(input: CompliancePageInput): SafeHtml {
  if (input.regions.length === 0) {
    return html`<h1>Compliance</h1><p>No sweep has run over this state yet. A sweep (<code>ecs-role-attach sweep --region &lt;id&gt; --role &lt;name&gt;</code>, or the FC timer) records one execution per region; its results show here.</p>`;
  }
  const percent = (p: SweepPoint) => (p.evaluated === 0 ? 100 : (100 * p.compliantAfter) / p.evaluated);
  const series: ComplianceSeries[] = input.regions.map((r) => ({
    name: `${r.regionId} (${r.role})`,
    points: r.sweeps.map((s) => ({
      at: Date.parse(s.record.createdAt),
      percent: percent(s),
      label: `${s.record.createdAt.slice(0, 16).replace('T', ' ')}: ${percent(s).toFixed(1)}% (${s.compliantAfter} of ${s.evaluated})`,
    })),
  }));
  const latest = input.regions.map((r) => {
    const last = r.sweeps.at(-1);
    return last ? `${r.regionId} ${percent(last).toFixed(1)}% after the latest sweep` : r.regionId;
  });
  const dataRows = input.regions.flatMap((r) =>
    r.sweeps.map(
      (s) =>
        html`<tr><th scope="row">${r.regionId}</th><td>${r.role}</td><td>${time(s.record.createdAt)}</td><td><a href="/executions/${s.record.executionId}">${s.record.executionId}</a></td><td>${statusBadge(s.record.status)}</td><td class="num">${s.evaluated}</td><td class="num">${s.compliantAfter}</td><td class="num">${percent(s).toFixed(1)}%</td></tr>`,
    ),
  );
  const nonCompliant = input.nonCompliant.map(
    (n) =>
      html`<tr><th scope="row"><code>${n.row.instanceId}</code></th><td>${n.regionId}</td><td>${n.row.outcome}</td><td>${n.row.detail ?? ''}</td><td>${n.row.message ?? ''}</td><td><a href="/executions/${n.executionId}${query({ q: n.row.instanceId })}#instances">${n.executionId}</a></td></tr>`,
  );
  const link = (target: number) => `/compliance${query({ page: target })}#non-compliant`;
  return html`<h1>Compliance</h1>
<div data-live="compliance">
<section aria-labelledby="chart-h"><h2 id="chart-h">Instances bearing the role after each sweep</h2>
${complianceChart(series, latest.join('; '))}
<table class="list"><caption>Sweep results (the chart's data), oldest first</caption>
<thead><tr><th scope="col">Region</th><th scope="col">Role</th><th scope="col">Swept</th><th scope="col">Execution</th><th scope="col">Status</th><th scope="col" class="num">Evaluated</th><th scope="col" class="num">Bearing the role</th><th scope="col" class="num">Compliant</th></tr></thead>
<tbody>${dataRows}</tbody></table>
</section>
<section aria-labelledby="non-compliant-h" id="non-compliant"><h2 id="non-compliant-h">Not compliant now</h2>
<p>Instances that did not bear the role (with role rules: their rule's role or an accepted role) after their region's latest sweep (failed, skipped, cancelled or not yet attempted).</p>
<table class="instances"><caption>${input.nonCompliantTotal} instance${input.nonCompliantTotal === 1 ? '' : 's'} not compliant; page ${input.page} of ${input.pages}</caption>
<thead><tr><th scope="col">Instance</th><th scope="col">Region</th><th scope="col">Outcome</th><th scope="col">Code or reason</th><th scope="col">Message</th><th scope="col">Latest sweep</th></tr></thead>
<tbody>${nonCompliant.length ? nonCompliant : html`<tr><td colspan="6">Every evaluated instance bears its role.</td></tr>`}</tbody></table>
<nav class="pager" aria-label="Non-compliant pages">
${input.page > 1 ? html`<a href="${link(input.page - 1)}" rel="prev">Previous</a>` : html`<span class="muted">Previous</span>`}
<span>Page ${input.page} of ${input.pages}</span>
${input.page < input.pages ? html`<a href="${link(input.page + 1)}" rel="next">Next</a>` : html`<span class="muted">Next</span>`}
</nav>
</section>
</div>`;
}

/** The answer to a request without the access token. */
export function unauthorizedPage(): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Access token needed · ecs-role-attach console</title></head><body><main><h1>Access token needed</h1><p>Open the URL that <code>ecs-role-attach console</code> printed when it started: it carries the access token.</p></main></body></html>\n`;
}

/** A plain error page (not found, bad request). */
export function errorPage(frame: Frame, heading: string, text: string): string {
  return layout(frame, html`<h1>${heading}</h1><p>${text}</p><p><a href="/">Back to the executions</a></p>`);
}
