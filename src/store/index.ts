/**
 * Execution stores: one logic ({@link ObjectExecutionStore}) over pluggable object storage hooks.
 * `openExecutionStore` picks the backend from a location string.
 */
import { InvalidInputError } from '../engine/errors.js';
import type { Clock } from '../engine/ports.js';
import { ObjectExecutionStore } from './executionStore.js';
import { FsObjectStorage } from './fsObjectStorage.js';

export {
  CorruptStoreError,
  ExecutionExistsError,
  type LockDocument,
  ObjectExecutionStore,
} from './executionStore.js';
export { FsObjectStorage } from './fsObjectStorage.js';
export type { ObjectStorage } from './objectStorage.js';

/** The execution store on a local directory (created on first write). */
export class FsExecutionStore extends ObjectExecutionStore {
  public constructor(directory: string, options: { clock?: Clock } = {}) {
    super(new FsObjectStorage(directory), options);
  }
}

/**
 * The store at `location`: a directory path (or `file://` URL). `oss://bucket/prefix` needs the OSS store.
 * @throws InvalidInputError for an empty location or an unsupported scheme.
 */
export function openExecutionStore(location: string, options: { clock?: Clock } = {}): ObjectExecutionStore {
  const trimmed = location.trim();
  if (trimmed === '')
    throw new InvalidInputError('--state', 'must be a directory or oss://bucket/prefix', location);
  if (/^oss:\/\//i.test(trimmed)) {
    throw new InvalidInputError(
      '--state',
      'names an OSS location, which needs the OSS execution store (not available in this build yet); use a directory',
      location,
    );
  }
  if (/^file:\/\//i.test(trimmed)) return new FsExecutionStore(new URL(trimmed).pathname, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new InvalidInputError('--state', 'must be a directory path or oss://bucket/prefix', location);
  }
  return new FsExecutionStore(trimmed, options);
}
