import { RoleAttachError } from '../../src/engine/errors.js';

/**
 * PLACEHOLDER until the engine lands: FC entry point of `on-instance-created` (handler `index.handler`).
 * Exists so that `npm run build` produces dist/functions/on-instance-created/index.js for s.yaml and its tests.
 */
export const handler = async (_event: unknown, _context: unknown): Promise<never> => {
  throw new RoleAttachError('on-instance-created: not implemented yet');
};
