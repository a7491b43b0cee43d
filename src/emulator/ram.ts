/** RAM 2015-05-01: GetRole (research cloud-apis.md §2). */
import { CommonErrors, EmulatorApiError } from './api-error.js';
import { type EmulatorService, rpcService } from './service.js';

/** The RAM 2015-05-01 service (RPC style, claimed by version). */
export function ramService(): EmulatorService {
  return rpcService({
    name: 'ram',
    product: 'Ram',
    version: '2015-05-01',
    hostId: 'ram.aliyuncs.com',
    ramNamespace: 'ram',
    actions: {
      GetRole: (params, context) => {
        const name = params['RoleName'];
        if (!name) throw CommonErrors.missingParameter('RoleName');
        const role = context.state.roles.get(name);
        if (!role) throw new EmulatorApiError(404, 'EntityNotExist.Role', 'The role does not exist.');
        return {
          body: {
            Role: {
              RoleId: role.RoleId,
              RoleName: role.RoleName,
              Arn: role.Arn,
              Description: role.Description,
              MaxSessionDuration: 3600,
              AssumeRolePolicyDocument: role.AssumeRolePolicyDocument,
              CreateDate: role.CreateDate,
              UpdateDate: role.CreateDate,
            },
          },
        };
      },
    },
  });
}
