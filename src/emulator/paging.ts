/**
 * The PageNumber / PageSize pair of the paged ECS and ESS Describe* actions: PageNumber from 1, PageSize from 1 to
 * the action's maximum, default 10; a value outside answers InvalidParameter naming it.
 */
import { CommonErrors } from './api-error.js';

export function pageParams(params: Record<string, string>, max: number): { number: number; size: number } {
  const number = Number(params['PageNumber'] ?? 1);
  const size = Number(params['PageSize'] ?? 10);
  if (!Number.isInteger(number) || number < 1) {
    throw CommonErrors.invalidParameter(
      'PageNumber',
      'must be a positive integer',
      params['PageNumber'] ?? '',
    );
  }
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw CommonErrors.invalidParameter(
      'PageSize',
      `must be an integer from 1 to ${max}`,
      params['PageSize'] ?? '',
    );
  }
  return { number, size };
}
