/**
 * The source kinds (`harden-metadata`, `templates`) on the one execution machinery: the same plan,
 * store, batches, MaxErrors, pauses, lease and journal as attach executions; only the planning and the
 * one-item write differ ({@link SourceWriter}). A rollback is an execution of the same kind whose targets
 * are the items the original `Updated`, written back to their previous value.
 *
 * Crash safety: an intent names each chunk's items before any write; a run that finds an intent without a
 * result reads those items first ({@link SourceWriter.settle}) and records what landed; the rest are
 * written again, each write reading the item before it changes anything that is not idempotent.
 */
import { chunk } from '../chunk.js';
import { InvalidActionError, InvalidInputError } from '../errors.js';
import type { EngineDeps, RunOptions } from '../execution/deps.js';
import {
  countOutcomes,
  decidedOutcomes,
  deriveState,
  type ExecutionState,
  newExecutionRecord,
} from '../execution/machine.js';
import { buildReport, type ExecutionReport } from '../execution/report.js';
import { BatchRunner, type Chunk } from '../execution/runner.js';
import { newExecutionId } from '../ids.js';
import type { LeaseHolder } from '../lease.js';
import { assertRolesUsable } from '../planner.js';
import type { StoredExecution } from '../ports.js';
import { planBatches, resolveMaxErrors } from '../rateControl.js';
import { assignmentOf } from '../rules.js';
import { targetRegion } from '../targets.js';
import type {
  ExecutionParameters,
  ExecutionPlan,
  ExecutionRecord,
  InstanceOutcome,
  PlannedTarget,
} from '../types.js';
import { metadataWriter, planMetadataTargets } from './metadata.js';
import type { SourceApis } from './ports.js';
import { planTemplateTargets, templateWriter } from './templates.js';
import type { SourceWriter } from './writer.js';

/** Whether an execution is of a source kind (runs here rather than in the attach runner). */
export function isSourceKind(parameters: Pick<ExecutionParameters, 'kind'>): boolean {
  return parameters.kind === 'harden-metadata' || parameters.kind === 'templates';
}

function sourcesOf(deps: { sources?: SourceApis }): SourceApis {
  if (!deps.sources) throw new TypeError('harden-metadata and templates executions need deps.sources');
  return deps.sources;
}

function writerFor(record: ExecutionRecord, deps: EngineDeps): SourceWriter {
  const { parameters } = record;
  const region = targetRegion(parameters.targets, parameters.regionId);
  const revert = record.origin === 'rollback';
  const sources = sourcesOf(deps);
  return parameters.kind === 'harden-metadata'
    ? metadataWriter(sources.metadata, region, revert)
    : templateWriter(sources, parameters, region, revert);
}

function predicted(
  target: PlannedTarget,
  parameters: ExecutionParameters,
  rollback: boolean,
): InstanceOutcome {
  if (target.decided) return target.decided;
  const instanceId = target.instanceId;
  if (rollback) return { instanceId, outcome: 'Reverted', restoredTo: target.previous ?? '' };
  if (parameters.kind === 'harden-metadata')
    return { instanceId, outcome: 'Updated', previous: 'optional', current: 'required' };
  return {
    instanceId,
    outcome: 'Updated',
    previous: target.previous ?? '',
    current: target.source === 'launch-template' ? 'a new version' : assignmentOf(parameters, target).role,
  };
}

/** Stores a planned execution, or with `dryRun` returns each item's predicted outcome (zero writes). */
async function store(
  plan: ExecutionPlan,
  parameters: ExecutionParameters,
  deps: Omit<EngineDeps, 'store'> & { store?: EngineDeps['store'] },
  init: { origin: ExecutionRecord['origin']; rollbackOf?: string; dryRun?: boolean },
): Promise<ExecutionReport> {
  const record = newExecutionRecord(plan, {
    parameters,
    origin: init.origin,
    at: new Date(deps.clock.now()).toISOString(),
    ...(init.rollbackOf === undefined ? {} : { rollbackOf: init.rollbackOf }),
    ...(init.dryRun ? { dryRun: true } : {}),
  });
  if (init.dryRun) {
    const outcomes = new Map(
      plan.targets.map((t) => [t.instanceId, predicted(t, parameters, init.origin === 'rollback')]),
    );
    return { ...buildReport({ record, plan, outcomes }), counts: countOutcomes(plan.targets.length, []) };
  }
  if (!deps.store) throw new TypeError('a source execution needs a store unless dryRun is set');
  await deps.store.create(record, plan);
  deps.logger.info(
    { executionId: plan.executionId, kind: parameters.kind, targets: plan.targets.length },
    `${parameters.kind} execution planned`,
  );
  return buildReport({ record, plan, outcomes: decidedOutcomes(plan) });
}

function planOf(
  executionId: string,
  targets: PlannedTarget[],
  parameters: ExecutionParameters,
): ExecutionPlan {
  const work = targets.filter((t) => t.work !== undefined).map((t) => t.instanceId);
  return {
    executionId,
    targets,
    batches: planBatches(work, parameters.rateControl),
    maxErrors: resolveMaxErrors(parameters.rateControl.MaxErrors, work.length),
  };
}

/**
 * Plans a `harden-metadata` or `templates` execution (reads only) and stores it, status Running; call
 * `runExecution` to run it. `templates` checks the role (every rule's role) first (exists, trusts ECS):
 * no template or scaling configuration is ever given a role ECS would refuse.
 */
export async function createSourceExecution(
  parameters: ExecutionParameters,
  deps: Omit<EngineDeps, 'store'> & { store?: EngineDeps['store'] },
  options: { origin: ExecutionRecord['origin']; dryRun?: boolean; executionId?: string },
): Promise<ExecutionReport> {
  const sources = sourcesOf(deps);
  const targets =
    parameters.kind === 'harden-metadata'
      ? await planMetadataTargets(parameters, {
          ecs: deps.ecs,
          metadata: sources.metadata,
          clock: deps.clock,
        })
      : await planTemplateTargets(parameters, sources, {
          // Every rule's role, once, naming the rule: one unusable role fails the execution before any
          // write. After the lookup of named ids, so that an id that does not exist costs only that read.
          beforeReads: () => assertRolesUsable(deps.ram, parameters),
        });
  const executionId = options.executionId ?? newExecutionId(deps.clock.now(), deps.random);
  return store(planOf(executionId, targets, parameters), parameters, deps, {
    origin: options.origin,
    ...(options.dryRun ? { dryRun: true } : {}),
  });
}

/**
 * Plans the rollback of a source execution: exactly the items it `Updated`, each set back to its previous
 * value (metadata `optional`; the previous default version; the previous scaling configuration role).
 */
export async function createSourceRollback(
  original: ExecutionState,
  deps: Omit<EngineDeps, 'onProgress'>,
  options: { dryRun?: boolean },
): Promise<ExecutionReport> {
  const { record } = original;
  if (record.status === 'Running' || record.status === 'Planned') {
    throw new InvalidActionError(
      record.executionId,
      'roll back',
      record.status,
      'Cancel it first (`ecs-role-attach cancel <id>`), or let it finish; nothing was changed.',
    );
  }
  const targets: PlannedTarget[] = [];
  for (const target of original.plan.targets) {
    const outcome = original.outcomes.get(target.instanceId);
    if (outcome?.outcome !== 'Updated') continue;
    targets.push({
      instanceId: target.instanceId,
      work: 'revert',
      previous: outcome.previous,
      current: outcome.current,
      ...(target.source === undefined ? {} : { source: target.source }),
      ...(target.rule === undefined ? {} : { rule: target.rule }),
    });
  }
  const parameters: ExecutionParameters = {
    ...record.parameters,
    targets: {
      Type: 'ResourceIds',
      ResourceIds: targets.map((t) => t.instanceId),
      RegionId: targetRegion(record.parameters.targets, record.parameters.regionId),
    },
    exclusions: { tags: [], instanceIds: [] },
  };
  const rollbackId = newExecutionId(deps.clock.now(), deps.random);
  const plan = planOf(rollbackId, targets, parameters);
  return store(plan, parameters, deps, {
    origin: 'rollback',
    rollbackOf: record.executionId,
    ...(options.dryRun ? { dryRun: true } : {}),
  });
}

/** Runs a stored source execution (called by `runExecution` for the source kinds). */
export function runSourceExecution(
  stored: StoredExecution,
  deps: EngineDeps,
  options: RunOptions = {},
  lease?: LeaseHolder,
): Promise<ExecutionReport> {
  return new SourceRunner(stored, deps, options, lease).run();
}

/** Validates the kind-specific parameters (the CLI and params files reach here through src/inputs). */
export function assertSourceParameters(parameters: ExecutionParameters): void {
  if (parameters.kind === 'templates' && !['ResourceIds', 'All'].includes(parameters.targets.Type)) {
    throw new InvalidInputError(
      'targets.Type',
      'must be ResourceIds (lt-/asg- ids) or All for templates',
      parameters.targets.Type,
    );
  }
}

class SourceRunner extends BatchRunner {
  protected readonly label: string;
  readonly #writer: SourceWriter;
  /** Items an earlier, interrupted run wrote an intent for. */
  readonly #attempted = new Set<string>();

  public constructor(stored: StoredExecution, deps: EngineDeps, options: RunOptions, lease?: LeaseHolder) {
    super(deriveState(stored), deps, options, lease);
    this.label = `${stored.record.parameters.kind ?? 'source'}${stored.record.origin === 'rollback' ? ' rollback' : ''}`;
    this.#writer = writerFor(stored.record, deps);
    for (const entry of stored.journal) {
      if (entry.type === 'intent') for (const id of entry.instanceIds) this.#attempted.add(id);
    }
  }

  #target(id: string): PlannedTarget {
    return this.state.targets.get(id) ?? { instanceId: id };
  }

  protected async settleOpenIntents(): Promise<void> {
    for (const intent of [...this.openIntents.values()]) {
      const outcomes: InstanceOutcome[] = [];
      for (const id of intent.instanceIds.filter((i) => !this.state.outcomes.has(i))) {
        const outcome = await this.#writer.settle(this.#target(id));
        if (outcome) outcomes.push(outcome);
      }
      this.deps.logger.info(
        { executionId: this.record.executionId, chunkId: intent.chunkId, settled: outcomes.length },
        'settled an unfinished write after restart',
      );
      await this.write({ at: this.now(), type: 'result', chunkId: intent.chunkId, outcomes });
    }
  }

  /** Eligibility is decided at planning; a continue/retry has nothing to re-read here. */
  protected override async beforeBatches(): Promise<void> {
    delete this.record.recheckEligibility;
  }

  protected async prepareBatch(
    pending: string[],
    chunkSize: number,
  ): Promise<{ chunks: Chunk[]; decided: number }> {
    const chunks: Chunk[] = [];
    for (const instanceIds of chunk(pending, chunkSize))
      chunks.push({ operation: this.#writer.operation, instanceIds });
    return { chunks, decided: 0 };
  }

  /** One call per item (ModifyInstanceMetadataOptions takes one instance), in parallel under the limiter. */
  protected processChunk(chunk: Chunk): Promise<InstanceOutcome[]> {
    return Promise.all(
      chunk.instanceIds.map((id) => this.#writer.write(this.#target(id), this.#attempted.has(id))),
    );
  }
}
