import { z } from 'zod';

const rate = z.number().min(0).max(1);
const instanceFault = z.union([
  z.string().min(1),
  z.strictObject({ Code: z.string().min(1), Message: z.string().optional() }),
]);

/**
 * Faults to inject, as given in the fleet file's `faults` or `POST /_emulator/faults`.
 * Rates are probabilities in [0, 1] drawn from the emulator's seeded PRNG, applied to API calls
 * (never to admin routes), in this order: latency, connection reset, then (after the signature check)
 * throttle, 500, 503.
 */
export const faultsSchema = z.strictObject({
  /** Fixed delay added to every API call, in ms. @default 0 */
  latencyMs: z.number().int().min(0).optional(),
  /** Extra uniform random delay in [0, jitterMs) ms. @default 0 */
  jitterMs: z.number().int().min(0).optional(),
  /** Share of calls answered 500 `InternalError`. @default 0 */
  serverErrorRate: rate.optional(),
  /** Share of calls answered 503 `ServiceUnavailable`. @default 0 */
  unavailableRate: rate.optional(),
  /** Share of calls whose connection is destroyed without a response (ECONNRESET / socket hang up). @default 0 */
  resetRate: rate.optional(),
  /** Share of calls answered 400 `Throttling.User` regardless of quotas. @default 0 */
  throttleRate: rate.optional(),
  /** Restricts the random faults (not latency) to these actions, e.g. `["AttachInstanceRamRole"]`. @default all */
  actions: z.array(z.string()).optional(),
  /**
   * Per-instance forced failures on AttachInstanceRamRole: instance id -> code (or `{Code, Message}`).
   * ModifyInstanceMetadataOptions (one instance per call) answers them as a 403 of the whole call.
   */
  instanceErrors: z.record(z.string(), instanceFault).optional(),
  /** Per-instance forced failures on DetachInstanceRamRole, same shape. */
  detachInstanceErrors: z.record(z.string(), instanceFault).optional(),
});

export type Faults = z.infer<typeof faultsSchema>;
export type InstanceFault = z.infer<typeof instanceFault>;

/** What the injector decided for one call. */
export interface FaultDecision {
  delayMs: number;
  /** Applied before the signature check. */
  reset: boolean;
  /** Applied after the signature check, in this precedence. */
  error: 'throttle' | 'internal' | 'unavailable' | undefined;
}

/** Keys of {@link Faults} whose value is a map merged key by key. */
const MAP_KEYS = ['instanceErrors', 'detachInstanceErrors'] as const;

/**
 * Holds the current faults and draws decisions from a seeded random source, so that the same seed and the
 * same call sequence produce the same faults.
 */
export class FaultInjector {
  private faults: Faults = {};

  constructor(private readonly random: () => number) {}

  current(): Faults {
    return structuredClone(this.faults);
  }

  /**
   * Merges a patch: top-level keys replace, `null` removes a key; the per-instance maps merge key by key
   * (a `null` entry removes that instance's fault). Validates first, so an invalid patch changes nothing.
   */
  merge(patch: unknown): Faults {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new Error(`faults must be a JSON object, got ${JSON.stringify(patch)}`);
    }
    const next: Record<string, unknown> = { ...this.faults };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) {
        delete next[key];
      } else if ((MAP_KEYS as readonly string[]).includes(key) && typeof value === 'object') {
        const merged: Record<string, unknown> = {
          ...((next[key] as Record<string, unknown> | undefined) ?? {}),
        };
        for (const [id, fault] of Object.entries(value as Record<string, unknown>)) {
          if (fault === null) delete merged[id];
          else merged[id] = fault;
        }
        next[key] = merged;
      } else {
        next[key] = value;
      }
    }
    const parsed = faultsSchema.safeParse(next);
    if (!parsed.success)
      throw new Error(`invalid faults: ${z.prettifyError(parsed.error)}; nothing was changed`);
    this.faults = parsed.data;
    return this.current();
  }

  /** Draws the decision for one API call of `action`. Always consumes four random numbers. */
  decide(action: string): FaultDecision {
    const f = this.faults;
    const jitter = this.random();
    const resetDraw = this.random();
    const errorDraw = this.random();
    const kindDraw = this.random();
    const delayMs = (f.latencyMs ?? 0) + Math.floor(jitter * (f.jitterMs ?? 0));
    const applies = f.actions === undefined || f.actions.includes(action);
    if (!applies) return { delayMs, reset: false, error: undefined };
    const throttle = f.throttleRate ?? 0;
    const internal = f.serverErrorRate ?? 0;
    const unavailable = f.unavailableRate ?? 0;
    let error: FaultDecision['error'];
    // One draw picks among the error kinds so that their rates add up instead of shadowing each other.
    const total = throttle + internal + unavailable;
    if (errorDraw < Math.min(1, total)) {
      const pick = kindDraw * total;
      error = pick < throttle ? 'throttle' : pick < throttle + internal ? 'internal' : 'unavailable';
    }
    return { delayMs, reset: resetDraw < (f.resetRate ?? 0), error };
  }

  /** The forced per-instance failure for an attach (`detach: false`) or detach call, if any. */
  instanceFault(instanceId: string, detach: boolean): { Code: string; Message: string } | undefined {
    const fault = (detach ? this.faults.detachInstanceErrors : this.faults.instanceErrors)?.[instanceId];
    if (fault === undefined) return undefined;
    if (typeof fault === 'string')
      return { Code: fault, Message: `Injected fault ${fault} for ${instanceId}.` };
    return { Code: fault.Code, Message: fault.Message ?? `Injected fault ${fault.Code} for ${instanceId}.` };
  }
}
