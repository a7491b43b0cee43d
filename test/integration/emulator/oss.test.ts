/**
 * The emulator's OSS service against the real, unmodified ali-oss 6.23.0 client over HTTP:
 * object calls, create-if-absent, listing with delimiter and paging, V4 signature (the default) and STS
 * checks, V1 refused unless the legacy switch is on, NoSuchBucket for undeclared buckets, XML errors.
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
    authorizationV4: true,
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

  it('answers 404 NoSuchBucket for an undeclared bucket until the admin route creates it', async () => {
    const oss = client(emulator, { bucket: 'not-declared' });
    await expect(oss.put('a.json', Buffer.from('{}'))).rejects.toMatchObject({
      code: 'NoSuchBucket',
      status: 404,
    });
    await expect(oss.get('a.json')).rejects.toMatchObject({ code: 'NoSuchBucket', status: 404 });
    expect(Object.keys(emulator.ossListing())).not.toContain('not-declared');
    const created = await admin<{ Buckets: string[] }>(emulator, '/_emulator/buckets', {
      Buckets: ['not-declared'],
    });
    expect(created.body.Buckets).toContain('not-declared');
    await oss.put('a.json', Buffer.from('{}'));
    expect((await oss.get('a.json')).content.toString()).toBe('{}');
    const bad = await admin<{ error: string }>(emulator, '/_emulator/buckets', { Buckets: ['Bad_Name'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('"Bad_Name"');
  });

  it('refuses V1 signatures with 403 AccessDenied by default', async () => {
    const v1 = client(emulator, { authorizationV4: false });
    await expect(v1.get('x')).rejects.toMatchObject({ code: 'AccessDenied', status: 403 });
    await expect(v1.put('x', Buffer.from('1'))).rejects.toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(emulator.stats().rejected['AccessDenied']).toBeGreaterThanOrEqual(2);
  });

  it('verifies the V4 signature: region, date and secret are all signed', async () => {
    await expect(client(emulator, { accessKeySecret: 'wrong' }).get('x')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
    const skewed = client(emulator, { amendTimeSkewed: 3_600_000 } as Partial<OSS.Options>);
    await expect(skewed.get('x')).rejects.toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
    // Query parameters and headers are in the canonical request: a listing with every parameter works.
    const listed = await client(emulator).list(
      { prefix: 'p/', delimiter: '/', 'max-keys': 5, marker: 'p/a.json' },
      {},
    );
    expect(listed.isTruncated).toBe(false);
  });

  it('verifies the V4 signature and the STS token, answering OSS XML errors', async () => {
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
      authorizationV4: true,
    });
    await expect(withoutToken.get('x')).rejects.toMatchObject({ code: 'InvalidSecurityToken', status: 403 });
    const plain = new OSS({
      region: 'oss-cn-hangzhou',
      bucket: 'state-bucket',
      ...TEST_CREDENTIALS.plain,
      endpoint: emulator.endpoint,
      secure: false,
      authorizationV4: true,
    });
    await plain.put('plain.json', Buffer.from('{}'));
    const stats = emulator.stats();
    expect(stats.rejected['SignatureDoesNotMatch']).toBeGreaterThanOrEqual(1);
    expect(stats.calls['oss:PutObject']).toBeGreaterThanOrEqual(1);
  });
});

describe('emulator OSS service for a legacy account (ossSignatureV1: accept)', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({ ossSignatureV1: 'accept' });
  });
  afterAll(() => emulator.close());

  it('accepts and verifies V1 signatures, and V4 as well', async () => {
    const v1 = client(emulator, { authorizationV4: false });
    await v1.put('legacy.json', Buffer.from('{"v":1}'));
    expect((await client(emulator).get('legacy.json')).content.toString()).toBe('{"v":1}');
    await expect(
      client(emulator, { authorizationV4: false, accessKeySecret: 'wrong' }).get('legacy.json'),
    ).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });
});
