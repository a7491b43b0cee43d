/**
 * Every API call of the real SDK adapters carries this tool's product token in its user agent, so that
 * the ActionTrail record of our own Attach/DetachInstanceRamRole (the replace flow, a rollback) is never
 * taken for drift by the event path (src/engine/paths/event/drift.ts). The calls go to a local HTTP
 * receiver, which records the headers the SDK sent.
 */
import { createCloudApis } from '../../../src/cloud/clients';
import { TOOL_USER_AGENT } from '../../../src/engine/paths/event/drift';
import { type Receiver, startReceiver } from '../../helpers/receiver';

describe('the SDK adapters user agent', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('ends with the product token on ECS writes and RAM reads, after the SDK own user agent', async () => {
    const apis = createCloudApis({
      regionId: 'cn-hangzhou',
      endpoint: receiver.url,
      credential: { accessKeyId: 'AKID', accessKeySecret: 'secret' },
      retry: { maxAttempts: 1 },
    });
    // The receiver's answer is no ECS/RAM answer: only the requests matter here.
    await apis.ecs.detachInstanceRamRole('cn-hangzhou', ['i-bp1aaa']).catch(() => undefined);
    await apis.ram.getRole('EcsAppRole').catch(() => undefined);
    const agents = receiver.requests.map((r) => String(r.headers['user-agent']));
    expect(agents.length).toBeGreaterThanOrEqual(2);
    for (const agent of agents)
      expect(agent).toMatch(
        new RegExp(`^AlibabaCloud \\(.*\\) Node\\.js/.* ${TOOL_USER_AGENT.replace('/', '\\/')}$`),
      );
  });
});
