/**
 * The emulator keeps the `Policy` passed with a successful AttachInstanceRamRole (admin view
 * `RamRolePolicy`) and refuses one outside the documented "Length: 1 to 1,024 characters"
 * (@alicloud/ecs20140526 AttachInstanceRamRoleRequest doc comment) for the whole call.
 */
import * as $Ecs from '@alicloud/ecs20140526';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { admin, DESIGNATED_ROLE, ecsClient, startTestEmulator } from '../../helpers/emulator';

interface Truth {
  InstanceId: string;
  RamRoleName: string;
  RamRolePolicy: string;
}

let emulator: EmulatorHandle;
beforeEach(async () => {
  emulator = await startTestEmulator();
});
afterEach(() => emulator.close());

async function truth(id: string): Promise<Truth | undefined> {
  const { body } = await admin<{ Instances: Truth[] }>(emulator, '/_emulator/instances');
  return body.Instances.find((i) => i.InstanceId === id);
}

function attach(policy: string | undefined, instanceIds = ['i-hz01']) {
  return ecsClient(emulator).attachInstanceRamRole(
    new $Ecs.AttachInstanceRamRoleRequest({
      regionId: 'cn-hangzhou',
      ramRoleName: DESIGNATED_ROLE,
      instanceIds: JSON.stringify(instanceIds),
      ...(policy === undefined ? {} : { policy }),
    }),
  );
}

describe('AttachInstanceRamRole Policy in the emulator', () => {
  it('records the policy of a successful attach and clears it on detach', async () => {
    const policy = `{"Version":"1","Statement":[],"Pad":"${'p'.repeat(1024 - 39)}"}`;
    expect(policy).toHaveLength(1024);
    await attach(policy);
    expect(await truth('i-hz01')).toMatchObject({ RamRoleName: DESIGNATED_ROLE, RamRolePolicy: policy });
    await ecsClient(emulator).detachInstanceRamRole(
      new $Ecs.DetachInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds: '["i-hz01"]' }),
    );
    expect(await truth('i-hz01')).toMatchObject({ RamRoleName: '', RamRolePolicy: '' });
    await attach(undefined);
    expect(await truth('i-hz01')).toMatchObject({ RamRoleName: DESIGNATED_ROLE, RamRolePolicy: '' });
  });

  it('refuses a policy of 1,025 characters for the whole call, attaching nothing', async () => {
    const policy = `{"Version":"1","Statement":[],"Pad":"${'p'.repeat(1025 - 39)}"}`;
    await expect(attach(policy, ['i-hz01', 'i-hz04'])).rejects.toMatchObject({ code: 'InvalidParameter' });
    expect(await truth('i-hz01')).toMatchObject({ RamRoleName: '', RamRolePolicy: '' });
    expect(await truth('i-hz04')).toMatchObject({ RamRoleName: '' });
  });
});
