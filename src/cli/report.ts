import { type ExecutionReport, exemptionLines } from '../engine/index.js';
import type { CommandContext } from './context.js';
import { writeJsonText } from './jsonText.js';
import { type CommonOptions, type OutputFormat, repeatedFlags } from './options.js';

/** Prints a report as JSON (one document) or as text; `options` (the command's flags) go into the next command shown. */
export function printReport(
  context: CommandContext,
  report: ExecutionReport,
  format: OutputFormat,
  options: Pick<CommonOptions, 'state' | 'endpoint'> = {},
): void {
  if (format === 'json') {
    writeJsonReport(context.stdout, report);
    return;
  }
  context.stdout.write(renderReportText(report, options));
}

/**
 * Writes `JSON.stringify(report)` and a newline, the same text, the `instances` list 1,000 lines at a time
 * (see jsonText.ts).
 */
export function writeJsonReport(out: Pick<NodeJS.WritableStream, 'write'>, report: ExecutionReport): void {
  writeJsonText((chunk) => out.write(chunk), report, 'instances', 0, '\n');
}

/**
 * A readable report: status and why, counts, batches, failures grouped by code with the affected
 * instances, skips by reason, and the exact next command when the execution is paused or unfinished.
 *
 * @example
 * renderReportText(report, { state: './state' })
 * // Execution exec-…: Waiting (paused: 1 failed, more than MaxErrors 0)
 * //   ...
 * //   next: ecs-role-attach resume exec-… --state ./state
 */
export function renderReportText(
  report: ExecutionReport,
  options: Pick<CommonOptions, 'state' | 'endpoint'> = {},
): string {
  const c = report.counts;
  const id = report.executionId;
  const lines = [
    `Execution ${id}: ${report.status}${report.statusReason ? ` — ${report.statusReason}` : ''}`,
  ];
  if (report.kind !== undefined) {
    const what =
      report.kind === 'harden-metadata'
        ? 'metadata security hardening mode (HttpTokens required)'
        : `launch templates and scaling configurations carrying role ${report.ramRoleName}`;
    lines.push(
      report.rollbackOf !== undefined
        ? `  rollback of ${report.rollbackOf} (${report.kind}): sets back what it changed`
        : `  ${report.kind}: ${what}`,
      `  region ${report.regionId}, mode ${report.mode}, MaxErrors ${report.maxErrors}`,
    );
  } else {
    if (report.rollbackOf !== undefined) {
      lines.push(
        `  rollback of ${report.rollbackOf}: detaches ${report.ramRoleName}, restores previous roles`,
      );
    }
    lines.push(
      `  ${report.rules ? `role rules (${report.rules.length})` : `role ${report.ramRoleName}`} in ${report.regionId}, mode ${report.mode}, MaxErrors ${report.maxErrors}`,
    );
  }
  for (const rule of report.rules ?? []) {
    const r = rule.counts;
    lines.push(
      `    rule ${rule.name} -> ${rule.role}${rule.policy === undefined ? '' : ' (with policy)'}: ${r.total} targets, ${r.attached + r.replaced} attached, ${r.alreadyAttached} already, ${r.skipped} skipped, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''}${r.cancelled ? `, ${r.cancelled} cancelled` : ''}`,
    );
  }
  if (report.rules) {
    lines.push(
      `    no rule matched: ${report.noRule ?? 0}${report.acceptedRoles?.length ? `; accepted roles: ${report.acceptedRoles.join(', ')}` : ''}`,
    );
  }
  if (report.fromPlan !== undefined) lines.push(`  from reviewed plan ${report.fromPlan}`);
  for (const warning of report.warnings ?? []) lines.push(`  warning: ${warning}`);
  const figures: [string, number | undefined][] =
    report.kind !== undefined
      ? [
          [
            report.rollbackOf !== undefined ? 'reverted' : 'updated',
            (report.rollbackOf !== undefined ? c.reverted : c.updated) ?? 0,
          ],
          ['already compliant', c.alreadyCompliant ?? 0],
          ['skipped', c.skipped],
          ['failed', c.failed],
          ['cancelled', c.cancelled],
          ['pending', c.pending],
        ]
      : report.rollbackOf !== undefined
        ? [
            ['detached', c.detached ?? 0],
            ['restored', c.restored ?? 0],
            ['skipped', c.skipped],
            ['failed', c.failed],
            ['cancelled', c.cancelled],
            ['pending', c.pending],
          ]
        : [
            ['attached', c.attached],
            ['already attached', c.alreadyAttached],
            ['replaced', c.replaced],
            ['skipped', c.skipped],
            ['failed', c.failed],
            ['cancelled', c.cancelled],
            ['pending', c.pending],
          ];
  lines.push(
    `  targets ${c.total}: ${figures
      .filter(
        ([name, n]) => n !== 0 || ['failed', 'attached', 'detached', 'updated', 'reverted'].includes(name),
      )
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
  );
  if (report.batches.length > 0) {
    const byStatus = new Map<string, number>();
    for (const batch of report.batches) byStatus.set(batch.status, (byStatus.get(batch.status) ?? 0) + 1);
    const summary = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
    const shown = report.batches.slice(0, 12).map((b) => `#${b.index + 1}:${b.size} ${b.status}`);
    const more = report.batches.length > 12 ? ` … (+${report.batches.length - 12} more)` : '';
    lines.push(`  batches ${report.batches.length} (${summary}): ${shown.join(', ')}${more}`);
  }
  const failures = new Map<string, { messages: Set<string>; ids: string[] }>();
  const skips = new Map<string, string[]>();
  const changes: string[] = [];
  for (const instance of report.instances) {
    if (instance.outcome === 'Failed') {
      const code = instance.code ?? 'Unknown';
      const group = failures.get(code) ?? { messages: new Set<string>(), ids: [] };
      group.ids.push(instance.instanceId);
      if (instance.message) group.messages.add(instance.message);
      failures.set(code, group);
    }
    if (instance.outcome === 'Skipped') push(skips, instance.reason ?? 'Skipped', instance.instanceId);
    if (report.kind !== undefined && instance.outcome === 'Updated') {
      changes.push(`${instance.instanceId} ${instance.previous || '(none)'} -> ${instance.current}`);
    }
  }
  if (changes.length > 0) lines.push(`  changed (${changes.length}): ${abbreviate(changes)}`);
  if (failures.size > 0) lines.push('  failures by code:');
  for (const [code, group] of failures) {
    const messages = [...group.messages];
    const message =
      messages.length === 0
        ? ''
        : ` — ${messages[0]}${messages.length > 1 ? ` (+${messages.length - 1} other messages)` : ''}`;
    lines.push(`    ${code} (${group.ids.length})${message}`, `      ${abbreviate(group.ids)}`);
  }
  for (const [reason, ids] of skips) lines.push(`  skipped ${reason} (${ids.length}): ${abbreviate(ids)}`);
  lines.push(...exemptionLines(report.exemptions ?? [], '  '));
  if (report.notifications) {
    const n = report.notifications;
    lines.push(
      `  notifications: ${n.delivered} delivered${n.failed ? `, ${n.failed} failed (see the log)` : ''}`,
    );
  }
  const flags = repeatedFlags(options);
  if (report.kind !== undefined && report.status === 'Success' && report.rollbackOf === undefined) {
    lines.push(`  undo: ecs-role-attach rollback ${id}${flags}`);
  }
  if (report.status === 'Waiting') {
    lines.push(
      `  next: ecs-role-attach resume ${id}${flags}`,
      `        (keeps the failures and goes on; or: ecs-role-attach retry ${id}${flags} to re-attempt them, ecs-role-attach cancel ${id}${flags} to stop)`,
    );
  }
  if (report.status === 'Running') lines.push(`  next: ecs-role-attach resume ${id}${flags}`);
  return `${lines.join('\n')}\n`;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function abbreviate(ids: string[]): string {
  return ids.length <= 10 ? ids.join(', ') : `${ids.slice(0, 10).join(', ')} … and ${ids.length - 10} more`;
}
