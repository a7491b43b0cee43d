/**
 * Every default of the engine and its inputs, in one place, each with its TSDoc `@default`. The inputs
 * (src/inputs) apply them once when they validate a value; the engine reads them where a value may be
 * left out (a sweep request, a backlog execution). The function configuration (functions/shared/config.ts)
 * takes its `ON_CONFLICT` and `BREAKER_THRESHOLD` defaults from here too.
 */
import type {
  BatchPauseOption,
  ConflictPolicy,
  ExecutionMode,
  RateControl,
  RateControlInput,
  TargetsSpec,
} from './types.js';

/** Most ids one AttachInstanceRamRole / DetachInstanceRamRole call takes (ECS API reference). */
export const MAX_IDS_PER_WRITE = 100;

/** OOS `rateControl` (OOS's own defaults except ConcurrencyInBatches, see below). */
export const RATE_CONTROL_DEFAULTS = {
  /** @default 10 — OOS default for Mode Concurrency. */
  Concurrency: 10,
  /** @default 0 — the first failure stops the execution. */
  MaxErrors: 0,
  /**
   * @default 100 — one full AttachInstanceRamRole call per batch step; OOS uses 20 because it calls
   * once per instance.
   */
  ConcurrencyInBatches: 100,
  /** @default 'Automatic' */
  BatchPauseOption: 'Automatic' as BatchPauseOption,
} as const;

/** The extras of the execution input (src/inputs/parameters.ts). */
export const PARAMETER_DEFAULTS = {
  /** @default 'Automatic' */
  mode: 'Automatic' as ExecutionMode,
  /** @default 'skip' — never touch an instance that bears another role. */
  onConflict: 'skip' as ConflictPolicy,
} as const;

/** A sweep request ({@link SweepRequest} of types.ts) and the sweep's settings. */
export const SWEEP_DEFAULTS = {
  /** @default {"Type":"All"} in each region */
  targets: { Type: 'All' } as TargetsSpec,
  /** @default 'Automatic' */
  mode: 'Automatic' as ExecutionMode,
  /**
   * @default {"Mode":"Concurrency","Concurrency":100,"MaxErrors":10} — one full API chunk per call; a
   * sweep is periodic remediation, so one broken instance should not cancel the rest of the fleet: up to
   * 10 failures before the execution stops (an absolute number, because a percentage of a small delta
   * floors to 0).
   */
  rateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: 10 } as RateControlInput,
  /** @default 900000 ms (15 minutes): a sweep lock older than this is taken over. */
  lockTtlMs: 900_000,
} as const;

/** The event path (on-instance-created) and its breaker. */
export const EVENT_PATH_DEFAULTS = {
  /** @default 5 consecutive failed instances open the breaker */
  breakerThreshold: 5,
  /** @default 1000 ms before the first re-attempt of a not-yet-attachable instance, doubling */
  initialRetryDelayMs: 1_000,
  /** @default 8000 ms between re-attempts at most */
  maxRetryDelayMs: 8_000,
  /** @default 30000 ms lease of the breaker lock */
  lockTtlMs: 30_000,
  /** @default 5000 ms to wait for the breaker lock before writing without it */
  lockWaitMs: 5_000,
  /** @default 300000 ms a successful GetRole check is trusted */
  roleCheckTtlMs: 300_000,
  /**
   * @default {"Mode":"Concurrency","Concurrency":100,"MaxErrors":"100%"} — rate control of a backlog
   * execution: one call per 100 instances, every instance gets its outcome.
   */
  backlogRateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: '100%' } as RateControl,
} as const;

/** The workflow steps (CloudFlow's batch loop). */
export const WORKFLOW_DEFAULTS = {
  /** @default 5000 ms: the least time a step keeps for itself after its deadline (one chunk's retries). */
  minSafetyMarginMs: 5_000,
  /** @default 0.2: share of the FC timeout kept as safety margin when larger than the minimum. */
  safetyMarginShare: 0.2,
  /** @default 1000 ms: the smallest budget a step gets. */
  minBudgetMs: 1_000,
  /** @default 5000 ms between attempts of a step to take a busy execution */
  busyPollMs: 5_000,
  /** @default 10000 ms to wait for the execution lock */
  lockWaitMs: 10_000,
} as const;

/** The parent execution of an organization scope (its own rate control). */
export const ORGANIZATION_DEFAULTS = {
  /**
   * @default 4 accounts at once; regions of one account run one after another (each has its own
   * per-region quota).
   */
  accountConcurrency: 4,
} as const;

/** Blast-radius limits (`maxTargets`) when the execution input gives none. */
export const MAX_TARGETS_DEFAULTS = {
  /** @default 100 — `onConflict: replace` detaches roles others chose; 100 is one full API chunk. */
  replace: 100,
  /** @default 1000 — `{"Type":"All"}` targets (the sweep's default) select the whole region. */
  all: 1000,
} as const;

/** The execution lease. */
export const LEASE_DEFAULTS = {
  /**
   * @default 600000 ms (10 minutes). A runner renews it before a chunk once it is a minute old, so a
   * chunk has at least 9 minutes of cover: a call takes at most ~75 s with every retry (60 s budget,
   * 15 s read timeout) and a chunk makes a few (a replace: detach, describe, attach).
   */
  ttlMs: 10 * 60_000,
  /** @default 60000 ms: how old the lease may get before a runner renews it. */
  renewAfterMs: 60_000,
} as const;

/** Exemptions (`exempt-until` tags). */
export const EXEMPTION_DEFAULTS = {
  /** @default 14 days: an exemption that ends within this is reported as expiring soon. */
  soonMs: 14 * 86_400_000,
} as const;

/** The source kinds (`harden-metadata`, `templates`) and a sweep's check of the sources. */
export const SOURCE_DEFAULTS = {
  /** @default {"Mode":"Batch","Batch":[1,"10%"],"MaxErrors":0} — harden-metadata: a one-instance canary, then 10% batches; the first failure pauses. */
  hardenRateControl: { Mode: 'Batch', Batch: [1, '10%'], MaxErrors: 0 } as RateControlInput,
  /** @default 'FailurePause' for harden-metadata */
  hardenMode: 'FailurePause' as ExecutionMode,
  /** @default {"Mode":"Concurrency","Concurrency":10,"MaxErrors":0} — templates: ten items at a time. */
  templatesRateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 } as RateControlInput,
  /** @default {"Type":"All"} for templates */
  templatesTargets: { Type: 'All' } as TargetsSpec,
} as const;
