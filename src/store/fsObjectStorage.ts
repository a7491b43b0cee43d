/**
 * {@link ObjectStorage} on a local directory. Writes are atomic: the text goes to a temp file in the target
 * directory, is fsynced, then renamed over the target (or hard-linked for create-if-absent, which fails with
 * EEXIST instead of replacing); the directory is fsynced so the new name survives a power cut.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ObjectStorage } from './objectStorage.js';

/** Prefix of temp files; `listKeys` hides them, so a crash mid-write leaves nothing visible. */
const TEMP_PREFIX = '.tmp-';

export class FsObjectStorage implements ObjectStorage {
  public readonly location: string;

  public constructor(root: string) {
    this.location = path.resolve(root);
  }

  public async getObject(key: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  public async putObject(key: string, body: string): Promise<void> {
    const target = this.pathOf(key);
    const temp = await this.writeTemp(target, body);
    try {
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(path.dirname(target));
  }

  public async putObjectIfAbsent(key: string, body: string): Promise<boolean> {
    const target = this.pathOf(key);
    const temp = await this.writeTemp(target, body);
    try {
      await fs.link(temp, target);
    } catch (error) {
      if (isCode(error, 'EEXIST')) return false;
      throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
    await syncDirectory(path.dirname(target));
    return true;
  }

  public async listKeys(prefix: string): Promise<string[]> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(this.pathOf(prefix), { withFileTypes: true });
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return [];
      throw error;
    }
    return entries
      .filter((entry) => !entry.name.startsWith(TEMP_PREFIX))
      .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name));
  }

  public async deleteObject(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    const segments = key.split('/').filter((segment) => segment !== '');
    if (segments.some((segment) => segment === '.' || segment === '..')) {
      throw new RangeError(`storage key ${JSON.stringify(key)} must not contain "." or ".." segments`);
    }
    return path.join(this.location, ...segments);
  }

  private async writeTemp(target: string, body: string): Promise<string> {
    const directory = path.dirname(target);
    await fs.mkdir(directory, { recursive: true });
    const temp = path.join(
      directory,
      `${TEMP_PREFIX}${path.basename(target)}-${process.pid}-${randomBytes(6).toString('hex')}`,
    );
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    return temp;
  }
}

/** fsync on a directory makes a rename durable on Linux; some platforms refuse it, which is harmless. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on some platforms: the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
