/**
 * The engine's API: what the shells (CLI, FC functions, store and cloud adapters, bench) may import.
 * Everything else under src/engine is internal to it.
 */
export {
  type DirectoryAccount,
  type DirectoryApi,
  planAccounts,
  type ResolvedAccounts,
  resolveAccounts,
} from './accounts.js';
export { chunk } from './chunk.js';
export {
  EVENT_PATH_DEFAULTS,
  EXEMPTION_DEFAULTS,
  LEASE_DEFAULTS,
  MAX_IDS_PER_WRITE,
  MAX_TARGETS_DEFAULTS,
  ORGANIZATION_DEFAULTS,
  PARAMETER_DEFAULTS,
  RATE_CONTROL_DEFAULTS,
  SOURCE_DEFAULTS,
  SWEEP_DEFAULTS,
  WORKFLOW_DEFAULTS,
} from './defaults.js';
export { CloudApiError, ExecutionNotFoundError, InvalidInputError, RoleAttachError } from './errors.js';
export { exemptionLines, mergeExclusions } from './exclusions.js';
export {
  controlExecution,
  createExecution,
  type EngineDeps,
  type ExecutionProgress,
  getExecutionReport,
  reportOfStored,
  runExecution,
} from './execution/index.js';
export {
  applyEntry,
  countOutcomes,
  decidedOutcomes,
  type IntentEntry,
  type JournalFold,
  planFold,
} from './execution/machine.js';
export {
  type BatchStatus,
  batchStatus,
  type ExecutionReport,
  emptyRegionWarning,
  type ReportedInstance,
  SUMMARY_LIMITS,
  summarizeExecution,
  summaryMatches,
} from './execution/report.js';
export { createRollback } from './execution/rollback.js';
export { saveRecordAndSummary } from './execution/runner.js';
export type { DeliveryStats, NotificationEvent, NotificationType, Notifier } from './notifications.js';
export {
  DRIFT_MODES,
  type DriftMode,
  type EventPathSummary,
  type InvocationSummary,
  memoizeRoleChecks,
  remediateInstances,
  remediateRegions,
  resumeEventPath,
  TOOL_USER_AGENT,
} from './paths/event/index.js';
export {
  answerWorkflow,
  type WorkflowPlanInput,
  type WorkflowPorts,
  type WorkflowRequest,
} from './paths/flow.js';
export {
  type AccountDeps,
  childParameters,
  createOrganization,
  dryRunOrganization,
  isOrganizationId,
  loadOrganization,
  type OrganizationAccount,
  type OrganizationChild,
  type OrganizationDeps,
  type OrganizationInput,
  type OrganizationPlan,
  type OrganizationRecord,
  type OrganizationReport,
  organizationReport,
  organizationSweep,
  planOrganizationRollback,
  renderOrganizationText,
  runOrganization,
} from './paths/organization.js';
export {
  renderSweepText,
  runSweep,
  type SweepReport,
  type SweepSettings,
  sweepParameters,
} from './paths/sweep.js';
export {
  organizationSweepLine,
  sweepLine,
  type TimerOrganization,
  type TimerSweepPorts,
  type TimerSweepSettings,
  timerSweep,
} from './paths/timer.js';
export {
  awaitOrganizationStep,
  awaitStep,
  controlOrganizationStep,
  controlStep,
  organizationFlowState,
  planOrganizationStep,
  planReviewedStep,
  planStep,
  runOrganizationStep,
  runStep,
  stepBudgetMs,
} from './paths/workflow.js';
export { assertRoleUsable } from './planner.js';
export {
  type Clock,
  type EcsApi,
  type ExecutionStore,
  type InstanceCallResult,
  type InstanceQuery,
  type Logger,
  type RamApi,
  type RandomSource,
  type RoleInfo,
  type StoredExecution,
  silentLogger,
  systemClock,
} from './ports.js';
export {
  createExecutionFromPlan,
  dryRunForReview,
  type PlannedInstance,
  type ReviewedPlan,
} from './reviewedPlan.js';
export { HARDENING_PREREQUISITES } from './sources/metadata.js';
export type {
  HttpTokens,
  InstanceMetadataInfo,
  LaunchTemplateApi,
  LaunchTemplateData,
  LaunchTemplateInfo,
  LaunchTemplateVersionInfo,
  MetadataApi,
  ScalingApi,
  ScalingConfigurationInfo,
  ScalingGroupInfo,
  SourceApis,
} from './sources/ports.js';
export {
  type AccountOverride,
  type AccountScope,
  type AccountSelector,
  CONFLICT_POLICIES,
  type ConflictPolicy,
  EXECUTION_MODES,
  EXECUTION_STATUSES,
  type Exclusions,
  type ExecutionCounts,
  type ExecutionMode,
  type ExecutionParameters,
  type ExecutionPlan,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionSummary,
  type ExemptionNotice,
  type InstanceInfo,
  type InstanceOutcome,
  type JournalEntry,
  type NewJournalEntry,
  OPERATOR_ACTIONS,
  type OperatorAction,
  OUTCOMES,
  type Outcome,
  type OutcomeGroup,
  type RateControlInput,
  type RoleRules,
  RULES_LABEL,
  SOURCE_FIXES,
  type SourceFix,
  type SweepRequest,
  type TargetsSpec,
  TERMINAL_STATUSES,
} from './types.js';
