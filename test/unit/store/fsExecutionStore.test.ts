import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExecutionNotFoundError, InvalidInputError } from '../../../src/engine/errors';
import {
  CorruptStoreError,
  ExecutionExistsError,
  FsExecutionStore,
  FsObjectStorage,
  ObjectExecutionStore,
  openExecutionStore,
} from '../../../src/store';
import { VirtualClock } from '../../helpers/clocks';
import { plan, record, STORE_TEST_ID } from '../../helpers/storeFixtures';

const ID = STORE_TEST_ID;

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else out.push(rel);
    }
  };
  await walk('');
  return out.sort();
}

describe('FsExecutionStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-store-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates and loads an execution with the documented key layout', async () => {
    const store = new FsExecutionStore(path.join(dir, 'state'));
    await store.create(record(ID, '2026-11-22T23:15:01.000Z'), plan(ID));
    const loaded = await store.load(ID);
    expect(loaded.record).toEqual(record(ID, '2026-11-22T23:15:01.000Z'));
    expect(loaded.plan).toEqual(plan(ID));
    expect(loaded.journal).toEqual([]);
    expect(await tree(path.join(dir, 'state'))).toEqual([
      `executions/${ID}/execution.json`,
      `executions/${ID}/plan.json`,
    ]);
  });

  it('refuses to create an execution twice', async () => {
    const store = new FsExecutionStore(dir);
    await store.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    await expect(store.create(record(ID, '2026-01-02T00:00:00.000Z'), plan(ID))).rejects.toBeInstanceOf(
      ExecutionExistsError,
    );
    expect((await store.load(ID)).record.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('throws ExecutionNotFoundError for an unknown id (load, saveRecord, append)', async () => {
    const store = new FsExecutionStore(dir);
    await expect(store.load('exec-nope')).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(store.saveRecord(record('exec-nope', 'x'))).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(
      store.append('exec-nope', { at: 'x', type: 'decision', action: 'continue', failedBefore: 0 }),
    ).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });

  it('rejects ids that would escape the store', async () => {
    const store = new FsExecutionStore(dir);
    await expect(store.load('../etc')).rejects.toThrow(RangeError);
    await expect(store.tryLock('sweep/../../x', 'me', 1000)).rejects.toThrow(RangeError);
  });

  it('saves the record atomically and leaves no temp files', async () => {
    const store = new FsExecutionStore(dir);
    await store.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    const updated = { ...record(ID, '2026-01-01T00:00:00.000Z'), status: 'Success' as const };
    for (let i = 0; i < 20; i++) await store.saveRecord({ ...updated, nextBatch: i });
    expect((await store.load(ID)).record).toMatchObject({ status: 'Success', nextBatch: 19 });
    expect((await tree(dir)).filter((file) => path.basename(file).startsWith('.'))).toEqual([]);
  });

  it('appends journal entries with strictly increasing zero-padded seqs, loaded in order', async () => {
    const store = new FsExecutionStore(dir);
    await store.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    const intent = await store.append(ID, {
      at: '2026-01-01T00:00:01.000Z',
      type: 'intent',
      chunkId: 'b0c0',
      operation: 'attach',
      instanceIds: ['i-1', 'i-2'],
    });
    const result = await store.append(ID, {
      at: '2026-01-01T00:00:02.000Z',
      type: 'result',
      chunkId: 'b0c0',
      outcomes: [
        { instanceId: 'i-1', outcome: 'Attached' },
        { instanceId: 'i-2', outcome: 'Failed', code: 'X', message: 'y' },
      ],
    });
    expect([intent.seq, result.seq]).toEqual([1, 2]);
    const files = await tree(path.join(dir, 'executions', ID, 'journal'));
    expect(files).toEqual(['0000000001.json', '0000000002.json']);
    expect((await store.load(ID)).journal).toEqual([intent, result]);
  });

  it('continues the seq after reopening the store (process restart), past 9 and 10', async () => {
    const first = new FsExecutionStore(dir);
    await first.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    for (let i = 0; i < 11; i++) {
      await first.append(ID, { at: `t${i}`, type: 'decision', action: 'continue', failedBefore: i });
    }
    const reopened = new FsExecutionStore(dir);
    const next = await reopened.append(ID, {
      at: 'later',
      type: 'decision',
      action: 'retry',
      failedBefore: 0,
    });
    expect(next.seq).toBe(12);
    const journal = (await reopened.load(ID)).journal;
    expect(journal.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('never overwrites an entry written by a second store instance', async () => {
    const a = new FsExecutionStore(dir);
    await a.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    const b = new FsExecutionStore(dir);
    await a.append(ID, { at: 'a1', type: 'decision', action: 'continue', failedBefore: 0 });
    await b.append(ID, { at: 'b1', type: 'decision', action: 'continue', failedBefore: 0 });
    const a2 = await a.append(ID, { at: 'a2', type: 'decision', action: 'continue', failedBefore: 0 });
    expect(a2.seq).toBe(3);
    expect((await a.load(ID)).journal.map((entry) => entry.at)).toEqual(['a1', 'b1', 'a2']);
  });

  it('lists executions newest first', async () => {
    const store = new FsExecutionStore(dir);
    const ids = [
      'exec-20260101T000000Z-aaaaaa',
      'exec-20260301T000000Z-bbbbbb',
      'exec-20260201T000000Z-cccccc',
    ];
    await store.create(record(ids[0]!, '2026-01-01T00:00:00.000Z'), plan(ids[0]!));
    await store.create(record(ids[1]!, '2026-03-01T00:00:00.000Z'), plan(ids[1]!));
    await store.create(record(ids[2]!, '2026-02-01T00:00:00.000Z'), plan(ids[2]!));
    expect((await store.list()).map((r) => r.executionId)).toEqual([ids[1], ids[2], ids[0]]);
    expect(await new FsExecutionStore(path.join(dir, 'empty')).list()).toEqual([]);
  });

  it('takes, refuses, extends, expires and releases locks', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const store = new FsExecutionStore(dir, { clock });
    const name = 'sweep/cn-hangzhou/EcsRole';
    expect(await store.tryLock(name, 'alice', 60_000)).toBe(true);
    expect(await store.tryLock(name, 'bob', 60_000)).toBe(false);
    expect(await store.tryLock(name, 'alice', 60_000)).toBe(true);
    const lock = JSON.parse(
      // taken (generation 1), then renewed (generation 2)
      await fs.readFile(path.join(dir, 'locks/sweep/cn-hangzhou/EcsRole/0000000002.json'), 'utf8'),
    );
    expect(lock).toEqual({
      owner: 'alice',
      acquiredAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:01:00.000Z',
    });
    await clock.advance(59_999);
    expect(await store.tryLock(name, 'bob', 60_000)).toBe(false);
    await clock.advance(1);
    expect(await store.tryLock(name, 'bob', 60_000)).toBe(true);
    await store.unlock(name, 'alice'); // not alice's any more: no effect
    expect(await store.tryLock(name, 'carol', 60_000)).toBe(false);
    await store.unlock(name, 'bob');
    expect(await store.tryLock(name, 'carol', 60_000)).toBe(true);
  });

  it('lets exactly one of many concurrent takers win a free lock', async () => {
    const store = new FsExecutionStore(dir);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => new FsExecutionStore(dir).tryLock('run', `owner-${i}`, 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.tryLock('run', 'late', 60_000)).toBe(false);
  });

  it('lets exactly one of many concurrent takers take over an expired lock', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    expect(await new FsExecutionStore(dir, { clock }).tryLock('run', 'crashed', 60_000)).toBe(true);
    await clock.advance(60_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        new FsExecutionStore(dir, { clock }).tryLock('run', `owner-${i}`, 60_000),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    // the winner holds it; a released generation is free for the next taker
    const winner = `owner-${results.indexOf(true)}`;
    const store = new FsExecutionStore(dir, { clock });
    expect(await store.tryLock('run', 'late', 60_000)).toBe(false);
    await store.unlock('run', winner);
    expect(await store.tryLock('run', 'late', 60_000)).toBe(true);
  });

  it('a holder that stalled past expiry cannot renew a lock taken over meanwhile', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const store = new FsExecutionStore(dir, { clock });
    expect(await store.tryLock('run', 'stalled', 60_000)).toBe(true);
    await clock.advance(60_000);
    expect(await store.tryLock('run', 'taker', 60_000)).toBe(true);
    expect(await store.tryLock('run', 'stalled', 60_000)).toBe(false);
    expect(await store.tryLock('run', 'taker', 60_000)).toBe(true);
  });

  it('stores and reads documents', async () => {
    const store = new FsExecutionStore(dir);
    expect(await store.getDocument('event/breaker')).toBeUndefined();
    await store.putDocument('event/breaker', { paused: true, backlog: ['i-1'] });
    await store.putDocument('event/breaker', { paused: false, backlog: [] });
    expect(await store.getDocument('event/breaker')).toEqual({ paused: false, backlog: [] });
    expect(await tree(dir)).toEqual(['docs/event/breaker.json']);
  });

  it('reports a corrupt JSON object with its key', async () => {
    const store = new FsExecutionStore(dir);
    await store.create(record(ID, '2026-01-01T00:00:00.000Z'), plan(ID));
    await fs.writeFile(path.join(dir, 'executions', ID, 'plan.json'), '{"truncated');
    await expect(store.load(ID)).rejects.toBeInstanceOf(CorruptStoreError);
    await expect(store.load(ID)).rejects.toThrow(`executions/${ID}/plan.json is unreadable`);
  });
});

describe('FsObjectStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-objects-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates directories on demand and lists direct children', async () => {
    const storage = new FsObjectStorage(dir);
    await storage.putObject('a/b/c.json', '1');
    await storage.putObject('a/d.json', '2');
    expect((await storage.listKeys('a/')).sort()).toEqual(['b/', 'd.json']);
    expect(await storage.listKeys('missing/')).toEqual([]);
    expect(await storage.getObject('a/b/c.json')).toBe('1');
    expect(await storage.getObject('a/b/none.json')).toBeUndefined();
  });

  it('putObjectIfAbsent creates once and never replaces', async () => {
    const storage = new FsObjectStorage(dir);
    expect(await storage.putObjectIfAbsent('k.json', 'first')).toBe(true);
    expect(await storage.putObjectIfAbsent('k.json', 'second')).toBe(false);
    expect(await storage.getObject('k.json')).toBe('first');
    expect(await fs.readdir(dir)).toEqual(['k.json']);
  });

  it('hides temp files left by a crash mid-write', async () => {
    const storage = new FsObjectStorage(dir);
    await storage.putObject('j/0000000001.json', '{}');
    await fs.writeFile(path.join(dir, 'j', '.tmp-0000000002.json-1-abc'), '{"half');
    expect(await storage.listKeys('j/')).toEqual(['0000000001.json']);
  });

  it('deletes idempotently', async () => {
    const storage = new FsObjectStorage(dir);
    await storage.putObject('x.json', '1');
    await storage.deleteObject('x.json');
    await storage.deleteObject('x.json');
    expect(await storage.getObject('x.json')).toBeUndefined();
  });
});

describe('openExecutionStore', () => {
  it('opens a directory, also as file:// URL', () => {
    expect(openExecutionStore('./.ecs-role-attach')).toBeInstanceOf(FsExecutionStore);
    expect(openExecutionStore('file:///tmp/era').location).toBe('/tmp/era');
  });

  it.each([
    ['', 'must be a directory or oss://bucket/prefix'],
    ['s3://bucket', 'must be a directory path or oss://bucket/prefix, got "s3://bucket"'],
  ])('rejects %j with InvalidInputError', (location, message) => {
    expect(() => openExecutionStore(location)).toThrow(InvalidInputError);
    expect(() => openExecutionStore(location)).toThrow(message);
  });

  it('opens an OSS store for oss://bucket/prefix (tested against the emulator in test/integration/store)', () => {
    expect(openExecutionStore('oss://bucket/prefix')).toBeInstanceOf(ObjectExecutionStore);
  });
});
