import { RoleAttachError } from '../../src/engine/errors.js';

/**
 * PLACEHOLDER until the engine lands: FC entry point of `workflow` (handler `index.handler`).
 * Exists so that `npm run build` produces dist/functions/workflow/index.js for s.yaml and its tests.
 */
export const handler = async (_event: unknown, _context: unknown): Promise<never> => {
  throw new RoleAttachError('workflow: not implemented yet');
};
