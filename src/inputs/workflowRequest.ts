/**
 * The `workflow` function's input: the flow's plan/step/await bodies (workflows/bulk-attach.yaml), or an
 * operator's control input from the FC console. Decoded and validated here, before any call: a plan's
 * `params` go through the one execution-input schema (parameters.ts) and its organization keys, or name a
 * reviewed plan (`{"plan":"store:<key>"}`, plan.ts).
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import type { WorkflowPlanInput, WorkflowRequest } from '../engine/index.js';
import { OPERATOR_ACTIONS } from '../engine/types.js';
import { executionId, regionId, roleName } from './atoms.js';
import { type OrganizationSelection, organizationOf, organizationShape } from './organization.js';
import { parseExecutionInput } from './parameters.js';
import { planReferenceOf } from './plan.js';
import { parseJsonPayload, parseWith } from './zod.js';

const workflowRequestSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({
      action: z.literal('plan'),
      params: z.unknown(),
      /** The CloudFlow execution's name (`$Context.Execution.Name`): makes a retried Plan idempotent. */
      executionName: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
          'must be a CloudFlow execution name (letters, digits, "-", "_")',
        )
        .optional(),
    }),
    z.strictObject({
      action: z.literal('step'),
      executionId,
      budgetMs: z.number().int().positive().optional(),
    }),
    z.strictObject({
      action: z.literal('await'),
      executionId,
      taskToken: z.string().min(1, 'must be the task token ($Context.Current.TaskToken)'),
    }),
    z.strictObject({ action: z.enum(OPERATOR_ACTIONS), executionId }),
    z.strictObject({
      action: z.literal('resume-events'),
      regionId: regionId.optional(),
      ramRoleName: roleName.optional(),
    }),
  ],
  {
    error: `must be one of plan, step, await (from the flow), ${OPERATOR_ACTIONS.join(', ')} (with executionId) or resume-events`,
  },
);

/** The decoded input: the request, and a plan's input (its parameters, or a reviewed plan's key). */
export interface DecodedWorkflowRequest {
  request: WorkflowRequest;
  plan?: WorkflowPlanInput;
}

/**
 * Decodes the `workflow` function's event (Buffer, string or object). Unknown keys and actions are
 * rejected with {@link InvalidInputError} naming the field (`event.executionId`, `params.targets.Type`),
 * before any call.
 * @example
 * decodeWorkflowRequest(Buffer.from('{"executionId":"exec-...","action":"continue"}'));
 */
export function decodeWorkflowRequest(raw: unknown): DecodedWorkflowRequest {
  const request = stripUndefined(parseWith(workflowRequestSchema, parseJsonPayload(raw, 'event'), 'event'));
  if (request.action !== 'plan') return { request: request as WorkflowRequest };
  const { params, ...plan } = request as { action: 'plan'; params: unknown; executionName?: string };
  const reviewedPlan = planReferenceOf(params);
  if (reviewedPlan !== undefined) return { request: plan, plan: { reviewedPlan } };
  const { parameters, organization } = splitWorkflowInput(params);
  return {
    request: plan,
    plan: {
      parameters: parseExecutionInput(parameters, 'params.'),
      ...(organization ? { organization } : {}),
    },
  };
}

const workflowOrganizationSchema = z.looseObject({
  ...organizationShape,
  /** The regions of every account (default: the input's `regionId` alone). */
  regions: z.array(regionId).min(1, 'must list at least one region').optional(),
});

/**
 * Splits the workflow's execution input into the organization keys (`accounts`, `excludeAccounts`,
 * `assumeRole`, `includeManagement`, `accountConcurrency`, `regions`) and the execution parameters left
 * for `parseExecutionInput`. Without `accounts` the input is one execution as before (and the other
 * organization keys are refused, naming `params.<key>`).
 */
function splitWorkflowInput(input: unknown): {
  parameters: unknown;
  organization?: OrganizationSelection & { regions: string[] };
} {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { parameters: input };
  const { accounts, excludeAccounts, assumeRole, includeManagement, accountConcurrency, regions, ...rest } =
    parseWith(workflowOrganizationSchema, input, 'params');
  const organization = organizationOf(
    { accounts, excludeAccounts, assumeRole, includeManagement, accountConcurrency },
    'params',
  );
  if (organization === undefined) {
    if (regions !== undefined)
      throw new InvalidInputError('params.regions', 'needs params.accounts', regions);
    return { parameters: input };
  }
  const regionIds = [...new Set(regions ?? [String(rest['regionId'] ?? '')])];
  return {
    parameters: { ...rest, regionId: regionIds[0] },
    organization: { ...organization, regions: regionIds },
  };
}

/** Drops `undefined` members so the result satisfies `exactOptionalPropertyTypes`. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
