/**
 * The store keys the engine writes are part of the on-disk format: stores written by earlier releases
 * hold documents under these names, so a change here would orphan them (a paused execution's cancel
 * request, an open breaker's backlog, an open sweep). The layouts below are those of release 0.1.0.
 */
import { doc, KEYS, LOCKS, readDoc, writeDoc } from '../../../src/engine/documents';
import { MemoryStore } from '../../helpers/engineFakes';

describe('store documents and locks', () => {
  it.each([
    [KEYS.cancelRequest('exec-1'), 'cancel-requests/exec-1'],
    [KEYS.breaker('cn-hangzhou', 'EcsRole'), 'event-path/cn-hangzhou/EcsRole'],
    [KEYS.backlog('cn-hangzhou', '@rules'), 'event-path/cn-hangzhou/@rules/backlog'],
    [KEYS.openSweep('cn-hangzhou', 'EcsRole'), 'sweeps/cn-hangzhou/EcsRole'],
    [KEYS.organization('org-1'), 'organizations/org-1'],
    [KEYS.openOrganizationSweep('EcsRole'), 'organization-sweeps/EcsRole'],
    [LOCKS.execution('exec-1'), 'execution/exec-1'],
    [LOCKS.sweep('cn-hangzhou', 'EcsRole'), 'sweep/cn-hangzhou/EcsRole'],
    [LOCKS.organization('org-1'), 'organization/org-1'],
  ])('%s keeps the layout %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('reads back what it wrote, as the type of its handle', async () => {
    const store = new MemoryStore();
    const handle = doc<{ executionId: string }>(KEYS.openSweep('cn-hangzhou', 'EcsRole'));
    expect(await readDoc(store, handle)).toBeUndefined();
    await writeDoc(store, handle, { executionId: 'exec-9' });
    expect((await readDoc(store, handle))?.executionId).toBe('exec-9');
    expect(await store.getDocument('sweeps/cn-hangzhou/EcsRole')).toEqual({ executionId: 'exec-9' });
  });
});
