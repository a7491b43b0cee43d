/**
 * Trust-policy check: can ECS assume this role? Mirrors the Terraform provider's `JudgeRolePolicyPrincipal`
 * (Statement[].Principal.Service contains `ecs.aliyuncs.com`), restricted to Allow statements for
 * `sts:AssumeRole`, the only ones that let the ECS service obtain the role's STS credentials.
 */

/** The RAM service principal of ECS. */
export const ECS_SERVICE_PRINCIPAL = 'ecs.aliyuncs.com';

/**
 * True when the parsed AssumeRolePolicyDocument has an `Allow` statement for `sts:AssumeRole`
 * (string or list, `sts:*` and `*` included) whose `Principal.Service` (string or list) names
 * `ecs.aliyuncs.com`. Anything malformed is "not trusted".
 * @example trustsEcs({ Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: ['ecs.aliyuncs.com'] } }] }) // true
 */
export function trustsEcs(policy: unknown): boolean {
  if (!isObject(policy)) return false;
  const statements = policy['Statement'];
  const list = Array.isArray(statements) ? statements : [statements];
  return list.some((statement) => {
    if (!isObject(statement)) return false;
    if (statement['Effect'] !== 'Allow') return false;
    if (!asStrings(statement['Action']).some(allowsAssumeRole)) return false;
    const principal = statement['Principal'];
    if (!isObject(principal)) return false;
    return asStrings(principal['Service']).some(
      (service) => service.trim().toLowerCase() === ECS_SERVICE_PRINCIPAL,
    );
  });
}

function allowsAssumeRole(action: string): boolean {
  const normalised = action.trim().toLowerCase();
  return normalised === 'sts:assumerole' || normalised === 'sts:*' || normalised === '*';
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
