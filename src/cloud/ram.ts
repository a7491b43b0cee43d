/** {@link RamApi} over `@alicloud/ram20150501` GetRole. */
import type Ram from '@alicloud/ram20150501';
import * as $Ram from '@alicloud/ram20150501';
import { CloudApiError, type RamApi, type RoleInfo } from '../engine/index.js';
import type { CallApi } from './caller.js';

export class SdkRamApi implements RamApi {
  public constructor(
    private readonly client: Ram,
    private readonly call: CallApi,
  ) {}

  /**
   * The role with its parsed trust policy, or `undefined` for `EntityNotExist.Role`.
   * @throws CloudApiError `MalformedTrustPolicy` when AssumeRolePolicyDocument is not JSON.
   */
  public async getRole(roleName: string): Promise<RoleInfo | undefined> {
    const request = new $Ram.GetRoleRequest({ roleName });
    let response: $Ram.GetRoleResponse;
    try {
      response = await this.call('GetRole', () => this.client.getRole(request));
    } catch (error) {
      if (error instanceof CloudApiError && error.code === 'EntityNotExist.Role') return undefined;
      throw error;
    }
    const role = response.body?.role;
    if (role === undefined) return undefined;
    const document = role.assumeRolePolicyDocument ?? '';
    let assumeRolePolicy: unknown;
    try {
      assumeRolePolicy = document === '' ? {} : JSON.parse(document);
    } catch (error) {
      throw new CloudApiError({
        action: 'GetRole',
        code: 'MalformedTrustPolicy',
        message: `the AssumeRolePolicyDocument of role ${roleName} is not valid JSON`,
        retryable: false,
        cause: error,
      });
    }
    return { roleName: role.roleName ?? roleName, arn: role.arn ?? '', assumeRolePolicy };
  }
}
