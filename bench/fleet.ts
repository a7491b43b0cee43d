/**
 * Fleets for the benchmarks: `count` VPC instances in one region, Running, without any role, so every
 * one needs the designated role. Credentials and roles come from the emulator's seeded generator.
 */
import type { FleetFile, FleetInstance } from '../src/emulator/index.js';
import { generateFleet } from '../src/emulator/index.js';

export const BENCH_REGION = 'cn-hangzhou';
export const BENCH_ROLE = 'EcsAppRole';

/** Instance id number `index` (sortable, valid ECS shape). */
export function benchInstanceId(index: number, prefix = 'b'): string {
  return `i-${prefix}${index.toString(36).padStart(8, '0')}`;
}

/** One bench instance (VPC, Running, no role). */
export function benchInstance(index: number, prefix = 'b'): FleetInstance {
  return {
    InstanceId: benchInstanceId(index, prefix),
    RegionId: BENCH_REGION,
    Status: 'Running',
    InstanceNetworkType: 'vpc',
    ResourceGroupId: 'rg-bench',
    Tags: { env: 'bench' },
  };
}

/** A fleet of `count` instances needing the role, plus the generator's account, keys and roles. */
export function benchFleet(count: number, seed = 1): FleetFile {
  const base = generateFleet({ instances: 0, seed });
  return { ...base, instances: Array.from({ length: count }, (_, index) => benchInstance(index)) };
}
