import { spawnSync } from 'node:child_process';
import { CLI_OWNER, isDeadLocalProcess } from '../../../src/cli/deps';

/** This process's owner string with another pid. */
function ownerWithPid(pid: number, scope?: string, host?: string): string {
  const [kind, ownHost, ownScope, , nonce] = CLI_OWNER.split(':');
  return [kind, host ?? ownHost, scope ?? ownScope, String(pid), nonce].join(':');
}

describe('CLI lease owners', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now

  it('takes over the lease of a dead process of this machine and PID namespace', () => {
    expect(isDeadLocalProcess(ownerWithPid(dead))).toBe(true);
  });

  it.each([
    ['a live process', () => ownerWithPid(process.ppid)],
    ['itself', () => CLI_OWNER],
    ['another PID namespace or machine (same hostname)', () => ownerWithPid(dead, 'other-boot.4026531836')],
    ['another host', () => ownerWithPid(dead, undefined, 'elsewhere')],
    ['an FC invocation', () => 'fc:1-6750f0a2-00000001'],
  ])('never takes over %s', (_label, holder) => {
    expect(isDeadLocalProcess(holder())).toBe(false);
  });
});
