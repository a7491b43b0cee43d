import { EVENT_PATH_DEFAULTS } from '../../defaults.js';
import type { Clock, RamApi, RoleInfo } from '../../ports.js';

/**
 * A RamApi whose successful GetRole answers are reused for `ttlMs` (per warm FC instance): the event path
 * checks the role on every invocation, and 20 concurrent invocations should not cost 20 GetRole calls.
 * Missing roles are not cached, so a role created after an alert is seen at once.
 */
export function memoizeRoleChecks(
  ram: RamApi,
  clock: Pick<Clock, 'now'>,
  cache: Map<string, { role: RoleInfo; expiresAt: number }>,
  ttlMs: number = EVENT_PATH_DEFAULTS.roleCheckTtlMs,
): RamApi {
  return {
    getRole: async (roleName) => {
      const hit = cache.get(roleName);
      if (hit && hit.expiresAt > clock.now()) return hit.role;
      const role = await ram.getRole(roleName);
      if (role) cache.set(roleName, { role, expiresAt: clock.now() + ttlMs });
      else cache.delete(roleName);
      return role;
    },
  };
}
