/**
 * Domain types shared by the engine, its adapters and its shells (CLI, FC functions).
 * Everything here is plain JSON so that it can be stored as-is (execution.json, plan.json, journal).
 */

/** Execution statuses, named as OOS names them, plus `Planned` for a dry run. */
export const EXECUTION_STATUSES = [
  'Planned',
  'Running',
  'Waiting',
  'Success',
  'Failed',
  'Cancelled',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['Success', 'Failed', 'Cancelled'];

/** `Automatic`: threshold exceeded -> Failed. `FailurePause`: threshold exceeded -> Waiting. */
export const EXECUTION_MODES = ['Automatic', 'FailurePause'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** What to do with an instance that already bears another role. */
export const CONFLICT_POLICIES = ['skip', 'fail', 'replace'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export const OPERATOR_ACTIONS = ['continue', 'retry', 'cancel'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/**
 * `RoleChanged`: rollback only — the instance no longer bears the role the execution attached; left alone.
 * Source kinds: `NoRole` (harden-metadata leaves role-less instances alone unless told), `MetadataDisabled`
 * (the metadata channel is off: hardening would turn it on), `PinnedVersion` (a scaling group launches from a
 * numbered or `Latest` launch template version, not the default), `Changed` (rollback: someone changed the item
 * since; left alone). Role rules: `NoRule` (no rule matches the instance), `AcceptedRole` (it bears one of
 * the document's `acceptedRoles`: compliant, never replaced). Reviewed plans: `ChangedSincePlan` (`run --plan`:
 * the instance's role, tags or status differ from the plan's snapshot, it is gone, or it would now get another
 * outcome than the plan predicted; left alone).
 */
export const SKIP_REASONS = [
  'Excluded',
  'ClassicNetwork',
  'OtherRole',
  'Gone',
  'RoleChanged',
  'NoRole',
  'MetadataDisabled',
  'PinnedVersion',
  'Changed',
  'NoRule',
  'AcceptedRole',
  'ChangedSincePlan',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Terminal outcomes, exactly one per target. */
export const OUTCOMES = [
  'Attached',
  'AlreadyAttached',
  'Replaced',
  'Skipped',
  'Failed',
  'Cancelled',
  // Rollback executions only: our role detached / the previous role restored.
  'Detached',
  'Restored',
  // Source kinds (harden-metadata, templates): changed / already right / set back by a rollback.
  'Updated',
  'AlreadyCompliant',
  'Reverted',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The recorded outcome of one target; `reason` for Skipped, `code`/`message` for Failed. */
export type InstanceOutcome =
  | { instanceId: string; outcome: 'Attached' }
  | { instanceId: string; outcome: 'AlreadyAttached' }
  | { instanceId: string; outcome: 'Replaced'; previousRole: string }
  | { instanceId: string; outcome: 'Skipped'; reason: SkipReason; message?: string }
  | { instanceId: string; outcome: 'Failed'; code: string; message: string }
  | { instanceId: string; outcome: 'Cancelled' }
  /** Rollback: the role the execution attached was detached (`role`). */
  | { instanceId: string; outcome: 'Detached'; role: string }
  /** Rollback: our role detached and `previousRole` attached again. */
  | { instanceId: string; outcome: 'Restored'; previousRole: string }
  /**
   * Source kinds: the item was changed from `previous` to `current` (metadata mode `optional` -> `required`;
   * a launch template's default version `2` -> `4`; a scaling configuration's role `""` -> ours).
   */
  | { instanceId: string; outcome: 'Updated'; previous: string; current: string }
  | { instanceId: string; outcome: 'AlreadyCompliant' }
  /** Source rollback: set back to `restoredTo`. */
  | { instanceId: string; outcome: 'Reverted'; restoredTo: string };

/** An instance as the engine sees it (from DescribeInstances). */
export interface InstanceInfo {
  instanceId: string;
  regionId: string;
  /** ECS status: Pending, Starting, Running, Stopping, Stopped. */
  status: string;
  /** `vpc` or `classic`. */
  networkType: string;
  resourceGroupId?: string;
  /** VPC instances only (DescribeInstances `VpcAttributes`). */
  vpcId?: string;
  vSwitchId?: string;
  tags: Record<string, string>;
  creationTime?: string;
}

/** A number or a percentage of the total, as OOS writes them: `10` or `"10%"`. */
export type Amount = number | `${number}%`;

/** OOS `rateControl`, normalised (defaults applied). */
export type RateControl =
  | { Mode: 'Concurrency'; Concurrency: Amount; MaxErrors: Amount }
  | {
      Mode: 'Batch';
      Batch: Amount[];
      ConcurrencyInBatches: number | number[];
      BatchPauseOption: BatchPauseOption;
      MaxErrors: Amount;
    };

/**
 * OOS `rateControl` as validated, before the defaults: every key optional, `Mode` inferred (`Batch` given ->
 * Batch). Executions written before the defaults moved into src/inputs may hold this form.
 */
export interface RateControlInput {
  Mode?: 'Concurrency' | 'Batch';
  Concurrency?: Amount;
  MaxErrors?: Amount;
  Batch?: Amount[];
  ConcurrencyInBatches?: number | number[];
  BatchPauseOption?: BatchPauseOption;
}

export const BATCH_PAUSE_OPTIONS = ['Automatic', 'FirstBatchPause', 'EveryBatchPause'] as const;
export type BatchPauseOption = (typeof BATCH_PAUSE_OPTIONS)[number];

/** OOS `targets`, verbatim. */
export type TargetsSpec =
  | { Type: 'ResourceIds'; ResourceIds: string[]; RegionId?: string }
  | {
      Type: 'Tags';
      Tags: { Key: string; Value?: string }[];
      RegionId?: string;
      Parameters?: TargetParameters;
    }
  | { Type: 'ResourceGroup'; ResourceGroupId: string; RegionId?: string; Parameters?: TargetParameters }
  | { Type: 'All'; RegionId?: string; Parameters?: TargetParameters };

/** Extra DescribeInstances filters OOS passes through `Parameters`. */
export interface TargetParameters {
  Status?: string;
  InstanceNetworkType?: string;
}

export interface Exclusions {
  /** Tag keys (any value) or key=value pairs; an instance carrying one is Skipped/Excluded. */
  tags: { key: string; value?: string }[];
  instanceIds: string[];
}

/**
 * What a role rule matches; every condition given must hold (an empty match matches every instance).
 * `tags`: key -> value, or key -> `"*"` for any value.
 */
export interface RuleMatch {
  tags?: Record<string, string>;
  resourceGroupId?: string;
  vpcId?: string;
  vSwitchId?: string;
  instanceIds?: string[];
  regionId?: string;
}

/** One rule of a role-rules document: instances it matches should bear `role`. */
export interface RoleRule {
  name: string;
  match: RuleMatch;
  role: string;
  /** AttachInstanceRamRole's extra restricting `Policy` (1-1024 characters), sent with every attach. */
  policy?: string;
  /** Overrides the execution's onConflict for this rule's instances. */
  onConflict?: ConflictPolicy;
}

/** A validated role-rules document: first matching rule wins. */
export interface RoleRules {
  rules: RoleRule[];
  /** Bearing one of these counts as compliant: never replaced, never attached. */
  acceptedRoles: string[];
}

/**
 * What `ramRoleName` holds for an execution whose roles come from rules: never a valid RAM role name
 * (no `@` in one), so it can never be attached by mistake; a valid store key segment, so it names the
 * locks and documents of rule executions (`sweep/<region>/@rules`).
 */
export const RULES_LABEL = '@rules';

/** Everything that defines an execution; validated at the boundary, stored in execution.json. */
/**
 * What an execution writes: `attach` (the instance RAM role; every execution of release 0.1.0),
 * `harden-metadata` (ModifyInstanceMetadataOptions HttpTokens=required) or `templates` (launch template
 * default versions and active scaling configurations carrying the role).
 */
export const EXECUTION_KINDS = ['attach', 'harden-metadata', 'templates'] as const;
export type ExecutionKind = (typeof EXECUTION_KINDS)[number];

/** The sources `templates` fixes. */
export const SOURCE_KINDS = ['launch-template', 'scaling-configuration'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface ExecutionParameters {
  /** Absent: `attach`. */
  kind?: Exclude<ExecutionKind, 'attach'>;
  /** harden-metadata: also harden instances that bear no RAM role. @default false */
  hardenRoleless?: boolean;
  /** templates: which sources. @default both */
  sourceKinds?: SourceKind[];
  regionId: string;
  /**
   * The one role every target should bear (OOS `RamRoleName`); {@link RULES_LABEL} when `rules` decide
   * the role per instance.
   */
  ramRoleName: string;
  /** Role rules: the role (and policy) per instance. Absent: every target gets `ramRoleName`. */
  rules?: RoleRules;
  targets: TargetsSpec;
  rateControl: RateControl;
  mode: ExecutionMode;
  onConflict: ConflictPolicy;
  exclusions: Exclusions;
  /**
   * Blast-radius limit: most instances this execution may write to (a number, or `"N%"` of the
   * selected instances). Absent: the defaults of `MAX_TARGETS_DEFAULTS` (blastRadius.ts) apply.
   */
  maxTargets?: Amount;
}

/** What a planned target needs: `attach`, `replace` (detach other role, attach ours), `conflict` (fail, no call). */
export type WorkKind =
  | 'attach'
  | 'replace'
  | 'conflict'
  | 'detach'
  | 'restore'
  // Source kinds: ModifyInstanceMetadataOptions / a new default version or ModifyScalingConfiguration / their rollback.
  | 'harden'
  | 'update'
  | 'revert';

export interface PlannedTarget {
  instanceId: string;
  /** Role rules: index of the rule that matched (its role and policy apply). */
  rule?: number;
  /** Outcome decided at planning (AlreadyAttached, Skipped, or Failed for conflict policy fail) or undefined for work. */
  decided?: InstanceOutcome;
  work?: WorkKind;
  /** The role found at planning, if any. */
  currentRole?: string;
  /** Rollback `restore`: the role to attach again after detaching ours. */
  restoreRole?: string;
  /** Source kinds: what the item is. */
  source?: 'instance' | SourceKind;
  /** Source kinds: the value found at planning (or, for a rollback, the value to set back). */
  previous?: string;
  /** Source rollback: the value the execution set (a launch template's new default version). */
  current?: string;
}

export interface PlannedBatch {
  index: number;
  instanceIds: string[];
  /** Max instances in flight inside this batch. */
  concurrency: number;
}

export interface ExecutionPlan {
  executionId: string;
  targets: PlannedTarget[];
  batches: PlannedBatch[];
  /** MaxErrors resolved to an absolute number. */
  maxErrors: number;
  /** Exemptions found at planning that expired (the instance is in scope again) or expire soon. */
  exemptions?: ExemptionNotice[];
}

/** An exemption worth reporting (see exclusions.ts): expired, or expiring within 14 days. */
export interface ExemptionNotice {
  instanceId: string;
  /** The exclusion tag key that carries it. */
  tag: string;
  /** Last exempt day, YYYY-MM-DD (UTC). */
  until: string;
  reason?: string;
  state: 'expired' | 'expiring';
}

export type PauseReason = 'MaxErrorsExceeded' | 'FirstBatchPause' | 'EveryBatchPause' | 'CallRefused';

/** A call refused for the caller that stopped the execution (reported once, never as instance failures). */
export interface CallRefusal {
  code: string;
  action: string;
  kind: 'permission' | 'credentials' | 'throttled';
  /** Instances of the refused call (they stay pending, or end Cancelled in Automatic mode). */
  instances: number;
  /** What to grant or fix. */
  remedy: string;
}

export interface ExecutionCounts {
  total: number;
  attached: number;
  alreadyAttached: number;
  replaced: number;
  skipped: number;
  failed: number;
  cancelled: number;
  pending: number;
  /** Rollback executions only (absent elsewhere). */
  detached?: number;
  restored?: number;
  /** Source kinds only (absent elsewhere). */
  updated?: number;
  alreadyCompliant?: number;
  reverted?: number;
}

/** Notification deliveries of one process or invocation: one per (event, sink). */
export interface DeliveryStats {
  delivered: number;
  /** Given up after the last retry (logged with the sink's scheme and host, never its URL). */
  failed: number;
}

/** execution.json */
export interface ExecutionRecord {
  executionId: string;
  createdAt: string;
  updatedAt: string;
  status: ExecutionStatus;
  /** Human sentence for Failed/Waiting/Cancelled. */
  statusReason?: string;
  pauseReason?: PauseReason;
  /** Set while the execution is stopped by a call refused for the caller. */
  refusal?: CallRefusal;
  parameters: ExecutionParameters;
  /** Index of the next batch to start (batches before it are complete). */
  nextBatch: number;
  /** Failures at the last `continue`/`retry`: the error budget counts only failures after it. */
  errorBase: number;
  /** Highest batch index after which a FirstBatchPause/EveryBatchPause pause was taken (-1: none). */
  lastBatchPause: number;
  counts: ExecutionCounts;
  /** Where the execution came from. */
  origin: 'cli' | 'workflow' | 'sweep' | 'event-backlog' | 'rollback';
  /** For origin `rollback`: the execution being rolled back. */
  rollbackOf?: string;
  /**
   * Set by `continue` / `retry`: the next run first re-reads the pending targets' tags and network type,
   * so that an instance excluded while the execution was paused (hours or days) is not attached.
   */
  recheckEligibility?: boolean;
  /** CloudFlow task token while Waiting under a workflow. */
  taskToken?: string;
  /** Executions of a reviewed plan (`run --plan`, workflow `plan`): the plan's digest (`sha256:…`). */
  fromPlan?: string;
}

export type BatchStatus = 'Pending' | 'Running' | 'Success' | 'Failed' | 'Cancelled';

/** A failure code or skip reason with how many instances it has and the first few of them. */
export interface OutcomeGroup {
  key: string;
  count: number;
  /** The first message seen (failures), and how many other distinct messages there are. */
  message?: string;
  otherMessages: number;
  /** The first instance ids, in plan order (at most SUMMARY_LIMITS.groupSample). */
  sample: string[];
}

/**
 * executions/<id>/summary.json: what a reader shows of an execution without its plan and journal (the
 * console's first view of a 100,000-target execution), saved with execution.json, whose counts it does
 * not repeat. It describes the journal as it was when the record with the same `updatedAt` and `status`
 * was saved; beside any other record it is stale and readers derive the state instead.
 */
export interface ExecutionSummary {
  executionId: string;
  updatedAt: string;
  status: ExecutionStatus;
  batches: { index: number; size: number; status: BatchStatus }[];
  /** Failures by code and skips by reason, largest first. */
  failures: OutcomeGroup[];
  skipped: OutcomeGroup[];
  /** Instances in intents without a result (calls in flight, or a crashed run's). */
  inFlight: number;
  /** The first targets in plan order (at most SUMMARY_LIMITS.head) and their outcomes, if any. */
  head: { instanceId: string; outcome?: InstanceOutcome }[];
}

/** Journal entries (executions/<id>/journal/<seq>.json); `seq` assigned by the store, strictly increasing. */
export type JournalEntry =
  | {
      seq: number;
      at: string;
      type: 'intent';
      chunkId: string;
      /** attach: AttachInstanceRamRole; replace: Detach then Attach; detach: rollback; harden/update/revert: source kinds. */
      operation: 'attach' | 'replace' | 'detach' | 'harden' | 'update' | 'revert';
      instanceIds: string[];
    }
  | { seq: number; at: string; type: 'result'; chunkId: string; outcomes: InstanceOutcome[] }
  | { seq: number; at: string; type: 'decision'; action: OperatorAction; failedBefore: number };

/** A journal entry before the store numbers it. */
export type NewJournalEntry = JournalEntry extends infer E
  ? E extends { seq: number }
    ? Omit<E, 'seq'>
    : never
  : never;

/** What a sweep's `fix` may name: also remediate the sources (launch templates, metadata mode). */
export const SOURCE_FIXES = ['templates', 'metadata'] as const;
export type SourceFix = (typeof SOURCE_FIXES)[number];

/**
 * What a sweep is asked to do: the timer payload, or the CLI's `sweep` flags, validated by the one
 * schema of src/inputs/timer.ts. The sweep fills in the defaults ({@link SWEEP_DEFAULTS} of sweep.ts).
 */
export interface SweepRequest {
  regions: string[];
  /** The one role; {@link RULES_LABEL} when `rules` assign the role per instance. */
  role: string;
  /** Role rules (validated): the role per instance instead of `role`. */
  rules?: RoleRules;
  /** @default `{"Type":"All"}` in each region */
  targets?: TargetsSpec;
  /** OOS rateControl as written (validated). @default `SWEEP_DEFAULTS.rateControl` */
  rateControl?: RateControlInput;
  /** @default 'Automatic' */
  mode?: ExecutionMode;
  /**
   * Remediate the sources too, in the same run: `templates` (launch template default versions and active
   * scaling configurations get the role), `metadata` (instances with the role go to hardened mode, canary
   * first, Automatic: the first failure stops it until the next sweep). @default none (report only)
   */
  fix?: SourceFix[];
  /**
   * Blast-radius limit per region, a number or "N%".
   * @default `MAX_TARGETS_DEFAULTS` of blastRadius.ts (1000 writes for `{"Type":"All"}`)
   */
  maxTargets?: Amount;
}

/** Which accounts an organization execution covers. */
export type AccountSelector =
  | { type: 'all' }
  | { type: 'folder'; folderId: string }
  | { type: 'ids'; accountIds: string[] };

/** Per-account settings from an accounts file. */
export interface AccountOverride {
  regions?: string[];
  assumeRole?: string;
  qps?: string;
  exclude?: boolean;
}

/** The validated organization scope. */
export interface AccountScope {
  selector: AccountSelector;
  exclude: string[];
  /** Whether the caller's own (management) account is included when `all` or a folder lists it. */
  includeManagement: boolean;
  overrides: Record<string, AccountOverride>;
}
