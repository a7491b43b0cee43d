/** DingTalk markdown (title + text) of a notification document: short, with the next command. */
import type { ExecutionCounts, NotificationEvent } from '../engine/index.js';

function counts(c: ExecutionCounts): string {
  return `targets ${c.total}: attached ${c.attached}, replaced ${c.replaced}, already ${c.alreadyAttached}, skipped ${c.skipped}, failed ${c.failed}, cancelled ${c.cancelled}, pending ${c.pending}`;
}

function failures(byCode: Record<string, number>): string[] {
  return Object.entries(byCode).map(([code, n]) => `- ${code}: ${n}`);
}

/**
 * @example
 * renderNotificationMarkdown(event).title // "ecs-role-attach exec-…: Waiting"
 */
export function renderNotificationMarkdown(event: NotificationEvent): { title: string; text: string } {
  switch (event.type) {
    case 'execution.planned':
    case 'execution.waiting':
    case 'execution.continued':
    case 'execution.finished': {
      const title = `ecs-role-attach ${event.executionId}: ${event.type === 'execution.continued' ? `${event.action} → ` : ''}${event.status}`;
      const lines = [
        `### ${title}`,
        `role **${event.ramRoleName}** in ${event.regionId}`,
        counts(event.counts),
      ];
      if (event.statusReason) lines.push(`reason: ${event.statusReason}`);
      if (event.type === 'execution.planned') lines.push(`instances that would be written: ${event.writes}`);
      lines.push(...failures(event.failuresByCode));
      if (event.type === 'execution.waiting') {
        lines.push(
          `next: \`${event.commands.resume}\``,
          `or \`${event.commands.retry}\` / \`${event.commands.cancel}\``,
        );
      }
      return { title, text: lines.join('\n\n') };
    }
    case 'eventpath.breaker-opened': {
      const title = `ecs-role-attach event path paused: ${event.ramRoleName} in ${event.regionId}`;
      return {
        title,
        text: [
          `### ${title}`,
          `${event.consecutiveFailures} consecutive failures (threshold ${event.threshold}); new instances are queued.`,
          `last: ${event.lastFailure.instanceId} ${event.lastFailure.code} ${event.lastFailure.message}`,
          `after fixing the cause: \`${event.command}\``,
        ].join('\n\n'),
      };
    }
    case 'eventpath.breaker-closed': {
      const title = `ecs-role-attach event path resumed: ${event.ramRoleName} in ${event.regionId}`;
      const run = event.executionId ? ` runs as ${event.executionId}` : '';
      return { title, text: [`### ${title}`, `backlog of ${event.backlog}${run}.`].join('\n\n') };
    }
    case 'eventpath.drift-detected':
    case 'eventpath.drift-repaired': {
      const repaired = event.type === 'eventpath.drift-repaired';
      const title = `ecs-role-attach drift ${repaired ? 'repaired' : 'detected'}: ${event.instances.length} instances of ${event.ramRoleName} in ${event.regionId}`;
      return {
        title,
        text: [
          `### ${title}`,
          ...event.instances
            .slice(0, 20)
            .map(
              (i) =>
                `- ${i.instanceId}: ${i.call}${i.roleName ? ` ${i.roleName}` : ''} by ${i.caller} — ${i.outcome}${i.detail ? ` (${i.detail})` : ''}`,
            ),
          ...(event.type === 'eventpath.drift-detected' && event.command
            ? [`to repair: \`${event.command}\``]
            : []),
        ].join('\n\n'),
      };
    }
    case 'sweep.finished': {
      const t = event.totals;
      const title = `ecs-role-attach sweep of ${event.role}: ${t.compliantAfter}/${t.evaluated} compliant`;
      return {
        title,
        text: [
          `### ${title}`,
          `attached now ${t.attachedNow}, failed ${t.failed}, not attempted ${t.notAttempted}, skipped ${t.skipped}`,
          ...event.regions.map((r) => `- ${r.regionId}: ${r.status ?? r.state} — ${r.note}`),
          ...event.nonCompliant
            .slice(0, 20)
            .map((n) => `- non-compliant ${n.instanceId} (${n.regionId}): ${n.code}`),
        ].join('\n\n'),
      };
    }
  }
}
