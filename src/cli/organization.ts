/**
 * Organization scope from the terminal: the `--accounts` family of flags, and the parent execution's
 * dependencies — per member an STS AssumeRole with the caller's credentials (a renewing static `sts`
 * credential), per (account, region) the ordinary engine dependencies over that credential.
 */
import { type Command, Option } from 'commander';
import { createOrganizationApis, type OrganizationApis, sessionNameFor } from '../cloud/organization.js';
import type { AccountScope } from '../engine/index.js';
import {
  InvalidInputError,
  type OrganizationDeps,
  type OrganizationReport,
  renderOrganizationText,
  systemClock,
} from '../engine/index.js';
import { parseAccountScope, parseAssumeRole } from '../inputs/accounts.js';

export { planAccounts } from '../engine/index.js';

import type { CommandContext } from './context.js';
import { CLI_OWNER, cliLogger, engineDeps, isDeadLocalProcess, openStore } from './deps.js';
import { EXIT_CODES } from './exit.js';
import type { CommonOptions, OutputFormat } from './options.js';

/** The organization flags. */
export interface OrganizationOptions {
  accounts?: string;
  excludeAccounts?: string;
  assumeRole?: string;
  includeManagement?: boolean;
  accountConcurrency?: string;
}

/** Adds --accounts, --exclude-accounts, --assume-role, --include-management, --account-concurrency. */
export function addOrganizationOptions(command: Command): Command {
  return command
    .option(
      '--accounts <scope>',
      'Resource Directory scope: all, folder:<folderId>, <id>,<id>... or @accounts.yaml (one child execution per account and region)',
    )
    .option('--exclude-accounts <ids>', 'account ids to leave out, comma-separated')
    .option(
      '--assume-role <name>',
      'role assumed in every member (default ResourceDirectoryAccountAccessRole, the role RD creates)',
    )
    .option('--include-management', 'include the management (calling) account itself')
    .addOption(
      new Option('--account-concurrency <n>', 'accounts worked on at once (default 4)').argParser((v) => v),
    );
}

/** The validated organization flags, or undefined without --accounts. Errors name the flag. */
export function organizationFlags(
  options: OrganizationOptions,
): { scope: AccountScope; assumeRole: string; accountConcurrency: number } | undefined {
  if (options.accounts === undefined) {
    for (const [flag, value] of [
      ['--exclude-accounts', options.excludeAccounts],
      ['--assume-role', options.assumeRole],
      ['--account-concurrency', options.accountConcurrency],
    ] as const) {
      if (value !== undefined) throw new InvalidInputError(flag, 'needs --accounts', value);
    }
    return undefined;
  }
  const concurrency = options.accountConcurrency === undefined ? 4 : Number(options.accountConcurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100)
    throw new InvalidInputError(
      '--account-concurrency',
      'must be an integer from 1 to 100',
      options.accountConcurrency,
    );
  return {
    scope: parseAccountScope({
      accounts: options.accounts,
      ...(options.excludeAccounts === undefined ? {} : { excludeAccounts: options.excludeAccounts }),
      ...(options.includeManagement ? { includeManagement: true } : {}),
    }),
    assumeRole: parseAssumeRole(options.assumeRole),
    accountConcurrency: concurrency,
  };
}

/** The Resource Directory and STS clients of the caller (default credential chain; --endpoint honoured). */
export function organizationApis(options: CommonOptions): OrganizationApis {
  return createOrganizationApis({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    logger: cliLogger(options),
  });
}

/** The parent execution's dependencies: members reached through AssumeRole, one shared store. */
export function organizationDeps(
  options: CommonOptions,
  apis: OrganizationApis,
  context: CommandContext,
): OrganizationDeps {
  const store = openStore(options);
  return {
    store,
    clock: systemClock,
    random: Math.random,
    logger: cliLogger(options),
    owner: CLI_OWNER,
    canTakeOver: isDeadLocalProcess,
    accountDeps: async (account, organizationId) => {
      const accountOptions = { ...options, ...(account.qps === undefined ? {} : { qps: account.qps }) };
      if (account.management) return (regionId) => ({ ...engineDeps(regionId, accountOptions), store });
      const credential = apis.assumeRole(
        account.accountId,
        account.assumeRole,
        sessionNameFor(organizationId),
      );
      await credential.assume();
      return (regionId) => ({ ...engineDeps(regionId, accountOptions, undefined, credential), store });
    },
    ...(options.quiet
      ? {}
      : {
          onChild: (child) =>
            context.stderr.write(
              `${child.accountId} ${child.regionId}: ${child.status}${child.counts ? ` (${child.counts.total} targets, ${child.counts.failed} failed)` : ''}${child.status === 'Failed' && child.reason ? ` — ${child.reason}` : ''}\n`,
            ),
        }),
  };
}

/**
 * Prints an organization report; exit 0 Success without failures (or a dry run where no child would fail),
 * 3 Waiting/Running, 1 otherwise.
 */
export function printOrganizationReport(
  context: CommandContext,
  report: OrganizationReport,
  format: OutputFormat,
): number {
  context.stdout.write(format === 'json' ? `${JSON.stringify(report)}\n` : renderOrganizationText(report));
  if (report.status === 'Planned')
    return report.totals.childrenByStatus.Failed ? EXIT_CODES.failed : EXIT_CODES.success;
  if (report.status === 'Waiting' || report.status === 'Running') return EXIT_CODES.waiting;
  return report.status === 'Success' && report.totals.failed === 0 ? EXIT_CODES.success : EXIT_CODES.failed;
}
