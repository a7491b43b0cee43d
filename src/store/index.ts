/**
 * Execution stores: one logic ({@link ObjectExecutionStore}) over pluggable object storage hooks.
 * `openExecutionStore` picks the backend from a location string.
 */
import { type Clock, InvalidInputError } from '../engine/index.js';
import { ObjectExecutionStore } from './executionStore.js';
import { FsObjectStorage } from './fsObjectStorage.js';
import { createOssObjectStorage, type OssStorageOptions } from './oss.js';

export {
  CorruptStoreError,
  ExecutionExistsError,
  type LockDocument,
  ObjectExecutionStore,
} from './executionStore.js';
export { FsObjectStorage } from './fsObjectStorage.js';
export type { ObjectStorage } from './objectStorage.js';
export { createOssObjectStorage, OssObjectStorage, type OssStorageOptions, parseOssLocation } from './oss.js';

/** The execution store on a local directory (created on first write). */
export class FsExecutionStore extends ObjectExecutionStore {
  public constructor(directory: string, options: { clock?: Clock } = {}) {
    super(new FsObjectStorage(directory), options);
  }
}

/** Options of {@link openExecutionStore}; the OSS ones apply to `oss://` locations only. */
export interface OpenStoreOptions extends Omit<OssStorageOptions, 'location'> {
  clock?: Clock;
}

/**
 * The store at `location`: a directory path (or `file://` URL), or `oss://bucket/prefix` (OSS through
 * ali-oss; `endpoint` sends it to the emulator).
 * @throws InvalidInputError for an empty location or an unsupported scheme.
 */
export function openExecutionStore(location: string, options: OpenStoreOptions = {}): ObjectExecutionStore {
  const { clock, ...oss } = options;
  const storeOptions = clock === undefined ? {} : { clock };
  const trimmed = location.trim();
  if (trimmed === '')
    throw new InvalidInputError('--state', 'must be a directory or oss://bucket/prefix', location);
  if (/^oss:\/\//i.test(trimmed)) {
    return new ObjectExecutionStore(createOssObjectStorage({ ...oss, location: trimmed }), storeOptions);
  }
  if (/^file:\/\//i.test(trimmed)) return new FsExecutionStore(new URL(trimmed).pathname, storeOptions);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new InvalidInputError('--state', 'must be a directory path or oss://bucket/prefix', location);
  }
  return new FsExecutionStore(trimmed, storeOptions);
}
