/**
 * The emulator's OSS service against the real, unmodified ali-oss 6.23.0 client over HTTP:
 * object calls, create-if-absent, listing with delimiter and paging, V1 signature and STS checks, XML errors.
 */
import OSS from 'ali-oss';
import type { EmulatorHandle } from '../../../src/emulator';
import { admin, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';

function client(emulator: EmulatorHandle, overrides: Partial<OSS.Options> = {}): OSS {
  return new OSS({
    region: 'oss-cn-hangzhou',
    bucket: 'state-bucket',
    accessKeyId: TEST_CREDENTIALS.sts.accessKeyId,
    accessKeySecret: TEST_CREDENTIALS.sts.accessKeySecret,
    stsToken: TEST_CREDENTIALS.sts.securityToken,
    refreshSTSToken: async () => ({
      accessKeyId: TEST_CREDENTIALS.sts.accessKeyId,
      accessKeySecret: TEST_CREDENTIALS.sts.accessKeySecret,
      stsToken: TEST_CREDENTIALS.sts.securityToken,
    }),
    refreshSTSTokenInterval: 300_000,
    endpoint: emulator.endpoint,
    secure: false,
    ...overrides,
  });
}

describe('emulator OSS service with ali-oss', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  it('puts, gets, heads and deletes objects with keys that need escaping', async () => {
    const oss = client(emulator);
    const key = 'pre fix/a b+c ü.json';
    await oss.put(key, Buffer.from('{"a":1}'), { mime: 'application/json' });
    expect((await oss.get(key)).content.toString()).toBe('{"a":1}');
    const head = await oss.head(key);
    expect(head.status).toBe(200);
    expect((head.res.headers as Record<string, string>)['content-length']).toBe('7');
    await oss.delete(key);
    await expect(oss.get(key)).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
    await expect(oss.head(key)).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
    // Deleting again is not an error (OSS answers 204 for absent keys).
    await expect(oss.delete(key)).resolves.toBeDefined();
    const listing = await admin<{ Buckets: Record<string, string[]> }>(emulator, '/_emulator/oss');
    expect(listing.body.Buckets['state-bucket']).toEqual([]);
  });

  it('refuses to overwrite with x-oss-forbid-overwrite: 409 FileAlreadyExists, object unchanged', async () => {
    const oss = client(emulator);
    await oss.put('once.json', Buffer.from('1'), { headers: { 'x-oss-forbid-overwrite': 'true' } });
    await expect(
      oss.put('once.json', Buffer.from('2'), { headers: { 'x-oss-forbid-overwrite': 'true' } }),
    ).rejects.toMatchObject({ code: 'FileAlreadyExists', status: 409 });
    expect((await oss.get('once.json')).content.toString()).toBe('1');
    await oss.put('once.json', Buffer.from('3'));
    expect((await oss.get('once.json')).content.toString()).toBe('3');
  });

  it('lists direct children with delimiter "/" and pages with marker', async () => {
    const oss = client(emulator, { bucket: 'list-bucket' });
    for (const key of [
      'p/a.json',
      'p/b.json',
      'p/c.json',
      'p/sub/x.json',
      'p/sub/y.json',
      'p/t/z.json',
      'q/o.json',
    ]) {
      await oss.put(key, Buffer.from('{}'));
    }
    const all = await oss.list({ prefix: 'p/', delimiter: '/', 'max-keys': 1000 }, {});
    expect(all.objects.map((o) => o.name)).toEqual(['p/a.json', 'p/b.json', 'p/c.json']);
    expect(all.prefixes).toEqual(['p/sub/', 'p/t/']);
    expect(all.isTruncated).toBe(false);

    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await oss.list(
        { prefix: 'p/', delimiter: '/', 'max-keys': 2, ...(marker ? { marker } : {}) },
        {},
      );
      pages += 1;
      seen.push(...(page.objects ?? []).map((o) => o.name), ...(page.prefixes ?? []));
      if (!page.isTruncated) break;
      marker = page.nextMarker;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['p/a.json', 'p/b.json', 'p/c.json', 'p/sub/', 'p/t/']);
  });

  it('verifies the V1 signature and the STS token, answering OSS XML errors', async () => {
    await expect(client(emulator, { accessKeySecret: 'wrong' }).get('x')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
    await expect(client(emulator, { accessKeyId: 'LTAInobody' }).get('x')).rejects.toMatchObject({
      code: 'InvalidAccessKeyId',
      status: 403,
    });
    const withoutToken = new OSS({
      region: 'oss-cn-hangzhou',
      bucket: 'state-bucket',
      accessKeyId: TEST_CREDENTIALS.sts.accessKeyId,
      accessKeySecret: TEST_CREDENTIALS.sts.accessKeySecret,
      endpoint: emulator.endpoint,
      secure: false,
    });
    await expect(withoutToken.get('x')).rejects.toMatchObject({ code: 'InvalidSecurityToken', status: 403 });
    const plain = new OSS({
      region: 'oss-cn-hangzhou',
      bucket: 'state-bucket',
      ...TEST_CREDENTIALS.plain,
      endpoint: emulator.endpoint,
      secure: false,
    });
    await plain.put('plain.json', Buffer.from('{}'));
    const stats = emulator.stats();
    expect(stats.rejected['SignatureDoesNotMatch']).toBeGreaterThanOrEqual(1);
    expect(stats.calls['oss:PutObject']).toBeGreaterThanOrEqual(1);
  });
});
