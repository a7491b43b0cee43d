/**
 * The execution store over OSS: ObjectExecutionStore + OssObjectStorage (real ali-oss) against the emulator,
 * with the same expectations as on the filesystem: key layout, create-once, journal seqs across reopen,
 * listing, locks, documents.
 */
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import type { EmulatorHandle } from '../../../src/emulator';
import { ExecutionNotFoundError, InvalidInputError } from '../../../src/engine/errors';
import { ExecutionExistsError, openExecutionStore } from '../../../src/store';
import { VirtualClock } from '../../helpers/clocks';
import { admin, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';
import { plan, record, STORE_TEST_ID } from '../../helpers/storeFixtures';

const ID = STORE_TEST_ID;

describe('ObjectExecutionStore over OSS (ali-oss -> emulator)', () => {
  let emulator: EmulatorHandle;
  const credential = new Credential(new CredentialConfig({ type: 'sts', ...TEST_CREDENTIALS.sts }));
  const open = (prefix = 'ecs-role-attach', clock?: VirtualClock) =>
    openExecutionStore(`oss://state-bucket/${prefix}`, {
      endpoint: emulator.endpoint,
      credential,
      regionId: 'cn-hangzhou',
      ...(clock ? { clock } : {}),
    });

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  it('creates and loads an execution under the prefix with the documented key layout', async () => {
    const store = open('layout');
    await store.create(record(ID, '2026-11-22T23:15:01.000Z'), plan(ID));
    await store.append(ID, {
      at: '2026-11-22T23:15:02.000Z',
      type: 'intent',
      chunkId: 'chunk-1',
      operation: 'attach',
      instanceIds: ['i-1'],
    });
    const loaded = await store.load(ID);
    expect(loaded.record.executionId).toBe(ID);
    expect(loaded.plan.targets).toHaveLength(2);
    expect(loaded.journal).toEqual([expect.objectContaining({ seq: 1, type: 'intent' })]);
    const listing = await admin<{ Buckets: Record<string, string[]> }>(emulator, '/_emulator/oss');
    expect(listing.body.Buckets['state-bucket']).toEqual(
      expect.arrayContaining([
        `layout/executions/${ID}/execution.json`,
        `layout/executions/${ID}/plan.json`,
        `layout/executions/${ID}/journal/0000000001.json`,
      ]),
    );
    await expect(store.create(record(ID, '2026-11-22T23:15:01.000Z'), plan(ID))).rejects.toBeInstanceOf(
      ExecutionExistsError,
    );
    await expect(store.load('exec-unknown')).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });

  it('continues journal seqs after reopening (a new FC invocation) and never overwrites an entry', async () => {
    const first = open('seq');
    await first.create(record(ID, '2026-11-22T23:15:01.000Z'), plan(ID));
    for (let i = 0; i < 11; i += 1) {
      await first.append(ID, {
        at: '2026-11-22T23:15:02.000Z',
        type: 'result',
        chunkId: `c${i}`,
        outcomes: [],
      });
    }
    const second = open('seq');
    const entry = await second.append(ID, {
      at: '2026-11-22T23:15:03.000Z',
      type: 'result',
      chunkId: 'later',
      outcomes: [],
    });
    expect(entry.seq).toBe(12);
    // The first instance's cached seq is stale; create-if-absent makes it take the next free one.
    const stale = await first.append(ID, {
      at: '2026-11-22T23:15:04.000Z',
      type: 'result',
      chunkId: 'stale',
      outcomes: [],
    });
    expect(stale.seq).toBe(13);
    const journal = (await second.load(ID)).journal;
    expect(journal.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it('lists executions newest first, keeps locks and documents', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-22T23:00:00Z'));
    const store = open('misc', clock);
    await store.create(record('exec-a', '2026-11-22T23:00:00.000Z'), plan('exec-a'));
    await store.create(record('exec-b', '2026-11-22T23:10:00.000Z'), plan('exec-b'));
    expect((await store.list()).map((r) => r.executionId)).toEqual(['exec-b', 'exec-a']);

    expect(await store.tryLock('sweep/cn-hangzhou/EcsRole', 'owner-1', 60_000)).toBe(true);
    expect(await store.tryLock('sweep/cn-hangzhou/EcsRole', 'owner-2', 60_000)).toBe(false);
    await clock.advance(61_000);
    expect(await store.tryLock('sweep/cn-hangzhou/EcsRole', 'owner-2', 60_000)).toBe(true);
    await store.unlock('sweep/cn-hangzhou/EcsRole', 'owner-2');
    expect(await store.tryLock('sweep/cn-hangzhou/EcsRole', 'owner-3', 60_000)).toBe(true);

    expect(await store.getDocument('event-path/cn-hangzhou/EcsRole')).toBeUndefined();
    await store.putDocument('event-path/cn-hangzhou/EcsRole', { state: 'open' });
    expect(await store.getDocument('event-path/cn-hangzhou/EcsRole')).toEqual({ state: 'open' });
  });

  it('a missing bucket is an InvalidInputError naming the bucket and region, on reads and writes', async () => {
    const missing = openExecutionStore('oss://no-such-bucket/x', {
      endpoint: emulator.endpoint,
      credential,
      regionId: 'cn-shanghai',
    });
    for (const attempt of [
      () => missing.load('exec-1'),
      () => missing.create(record(ID, '2026-11-22T23:15:01.000Z'), plan(ID)),
      () => missing.tryLock('sweep/cn-hangzhou/EcsRole', 'owner-1', 60_000),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toContain(
        'bucket "no-such-bucket" does not exist in region cn-shanghai',
      );
    }
    expect(Object.keys(emulator.ossListing())).not.toContain('no-such-bucket');
  });

  it('rejects malformed oss:// locations before any call', () => {
    const before = emulator.stats().calls;
    expect(() => openExecutionStore('oss://Bad_Bucket/x')).toThrow(InvalidInputError);
    expect(() => openExecutionStore('oss://bucket/../x')).toThrow(InvalidInputError);
    expect(emulator.stats().calls).toEqual(before);
  });
});
