/**
 * Execution ids: `exec-<UTC time, second precision>-<6 hex random>`, e.g. `exec-20261122T231501Z-4f3a9c`.
 * The fixed-width time prefix makes lexicographic order equal time order (to the second); the random suffix
 * (24 bits) keeps ids started in the same second apart.
 */
import type { RandomSource } from './ports.js';

/** Matches every id {@link newExecutionId} produces. */
export const EXECUTION_ID_PATTERN = /^exec-\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/**
 * A new sortable, unique execution id.
 * @example newExecutionId(Date.UTC(2026, 10, 22, 23, 15, 1), () => 0.31) // 'exec-20261122T231501Z-4f5c28'
 */
export function newExecutionId(now: number, random: RandomSource): string {
  const iso = new Date(now).toISOString(); // 2026-11-22T23:15:01.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const suffix = Math.floor(random() * 0x1000000)
    .toString(16)
    .padStart(6, '0')
    .slice(-6);
  return `exec-${stamp}-${suffix}`;
}
