/**
 * The storage hooks an {@link ObjectExecutionStore} needs: five calls that map one to one onto a filesystem
 * and onto OSS (GetObject, PutObject, PutObject with `x-oss-forbid-overwrite: true`, ListObjects with
 * delimiter `/`, DeleteObject). Keys are `/`-separated relative paths such as
 * `executions/exec-20261122T231501Z-4f3a9c/journal/0000000001.json`; values are UTF-8 text (JSON).
 */
export interface ObjectStorage {
  /** The object's text, or `undefined` when it does not exist. */
  getObject(key: string): Promise<string | undefined>;
  /** Creates or replaces the object in one atomic step: readers see the old or the new text, never a mix. */
  putObject(key: string, body: string): Promise<void>;
  /**
   * Creates the object only if it does not exist, atomically (readers never see partial text).
   * @returns `false` (and changes nothing) when the key already exists.
   */
  putObjectIfAbsent(key: string, body: string): Promise<boolean>;
  /**
   * The names directly under `prefix` (which ends with `/`): objects by their last segment (`0001.json`),
   * sub-prefixes with a trailing slash (`exec-.../`). Order unspecified; `[]` when nothing is there.
   */
  listKeys(prefix: string): Promise<string[]>;
  /** Deletes the object; no error when it is already gone. */
  deleteObject(key: string): Promise<void>;
  /** Where the objects live, for messages (e.g. `/home/me/.ecs-role-attach` or `oss://bucket/prefix`). */
  readonly location: string;
}
