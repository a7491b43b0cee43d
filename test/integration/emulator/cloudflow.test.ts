/**
 * The emulator's CloudFlow service against the real @alicloud/fnf-2019-03-15 SDK (pop-core RPC, HMAC-SHA1),
 * through the product's adapter: calls recorded and listed by GET /_emulator/cloudflow, parameters
 * validated, signatures and STS tokens verified.
 */
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import { createCloudFlowApi } from '../../../src/cloud/cloudflow';
import type { EmulatorHandle } from '../../../src/emulator';
import { CloudApiError } from '../../../src/engine/errors';
import { admin, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';

describe('emulator CloudFlow service with the FnF SDK', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  const api = (
    credential: Credential | { accessKeyId: string; accessKeySecret: string } = TEST_CREDENTIALS.plain,
  ) => createCloudFlowApi({ regionId: 'cn-hangzhou', endpoint: emulator.endpoint, credential });

  it('records ReportTaskSucceeded, ReportTaskFailed and StartExecution in order', async () => {
    const sts = new Credential(new CredentialConfig({ type: 'sts', ...TEST_CREDENTIALS.sts }));
    await api(sts).reportTaskSucceeded('tok-1', { executionId: 'exec-1', status: 'Running' });
    await api().reportTaskFailed('tok-2', 'ExecutionFailed', 'too many failures');
    const name = await api().startExecution(
      'ecs-role-attach-bulk-attach',
      { regionId: 'cn-hangzhou' },
      'run-7',
    );
    expect(name).toBe('run-7');
    const { status, body } = await admin<{ Calls: Record<string, unknown>[] }>(
      emulator,
      '/_emulator/cloudflow',
    );
    expect(status).toBe(200);
    expect(body.Calls).toEqual([
      expect.objectContaining({
        action: 'ReportTaskSucceeded',
        taskToken: 'tok-1',
        output: '{"executionId":"exec-1","status":"Running"}',
      }),
      expect.objectContaining({
        action: 'ReportTaskFailed',
        taskToken: 'tok-2',
        error: 'ExecutionFailed',
        cause: 'too many failures',
      }),
      expect.objectContaining({
        action: 'StartExecution',
        flowName: 'ecs-role-attach-bulk-attach',
        executionName: 'run-7',
        input: '{"regionId":"cn-hangzhou"}',
      }),
    ]);
    expect(emulator.stats().calls).toMatchObject({
      ReportTaskSucceeded: 1,
      ReportTaskFailed: 1,
      StartExecution: 1,
    });
  });

  it('cuts Error to 128 and Cause to 4096 characters as the API requires', async () => {
    await api().reportTaskFailed('tok-3', 'E'.repeat(300), 'c'.repeat(5000));
    const calls = emulator.cloudflowCalls();
    const last = calls.at(-1) as { error: string; cause: string };
    expect(last.error).toHaveLength(128);
    expect(last.cause).toHaveLength(4096);
  });

  it('rejects a wrong secret and an STS key without its token, recording nothing', async () => {
    const before = emulator.cloudflowCalls().length;
    const wrong = api({ accessKeyId: TEST_CREDENTIALS.plain.accessKeyId, accessKeySecret: 'wrong' });
    await expect(wrong.reportTaskSucceeded('tok-4', {})).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      action: 'ReportTaskSucceeded',
    });
    const tokenless = api({
      accessKeyId: TEST_CREDENTIALS.sts.accessKeyId,
      accessKeySecret: TEST_CREDENTIALS.sts.accessKeySecret,
    });
    const error = await tokenless.reportTaskSucceeded('tok-5', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect((error as CloudApiError).code).toBe('InvalidSecurityToken.Missing');
    expect((error as CloudApiError).message).not.toContain(TEST_CREDENTIALS.sts.accessKeySecret);
    expect(emulator.cloudflowCalls()).toHaveLength(before);
  });
});
