import { InvalidInputError } from '../../../src/engine/errors';
import { decodeWorkflowRequest } from '../../../src/inputs/workflowRequest';
import { asFcEvent } from '../../helpers/events';

function invalid(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('decodeWorkflowRequest: the control input', () => {
  it.each(['continue', 'retry', 'cancel'] as const)('accepts action %s', (action) => {
    expect(decodeWorkflowRequest(asFcEvent({ executionId: 'exec-20260105-abc', action }))).toEqual({
      request: { executionId: 'exec-20260105-abc', action },
    });
  });

  it.each([
    [{ executionId: 'e1', action: 'approve' }, 'event.action', 'continue, retry, cancel'],
    [{ executionId: '../../etc', action: 'cancel' }, 'event.executionId', 'execution id'],
    [{ action: 'cancel' }, 'event.executionId', 'is required'],
    [{ executionId: 'e1', action: 'cancel', force: true }, 'event.force', 'is not a known key'],
  ])('rejects %j naming %s', (input, field, rule) => {
    const error = invalid(() => decodeWorkflowRequest(input));
    expect(error.field).toBe(field);
    expect(error.message).toContain(rule);
  });
});
