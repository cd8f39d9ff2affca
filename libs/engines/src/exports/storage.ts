import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface PendingFile {
  stream: Writable;
  /** Make the file visible under its key (atomic). */
  commit(): Promise<void>;
  /** Forget the partial file. */
  abort(): Promise<void>;
}

/**
 * Where export files live. The local driver is the default; an S3-compatible
 * driver implements the same four calls (multipart upload, then complete).
 */
export interface ExportStorage {
  /** A new file; nothing is visible under `key` until `commit()`. */
  create(key: string): Promise<PendingFile>;
  read(key: string): Promise<Readable>;
  size(key: string): Promise<number | null>;
  delete(key: string): Promise<void>;
  /** Remove whatever a crashed or abandoned writer left under `key`, committed or not. */
  discard(key: string): Promise<void>;
}

export class LocalExportStorage implements ExportStorage {
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  private path(key: string): string {
    const p = resolve(join(this.root, key));
    if (!p.startsWith(this.root + sep)) throw new Error('export key escapes the export directory');
    return p;
  }

  async create(key: string): Promise<PendingFile> {
    const final = this.path(key);
    const part = `${final}.part`;
    await mkdir(dirname(final), { recursive: true });
    const stream = createWriteStream(part, { flags: 'w' });
    return {
      stream,
      commit: () => rename(part, final),
      abort: () => rm(part, { force: true }),
    };
  }

  async read(key: string): Promise<Readable> {
    const p = this.path(key);
    await stat(p);
    return createReadStream(p);
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.path(key))).size;
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async discard(key: string): Promise<void> {
    await rm(`${this.path(key)}.part`, { force: true });
    await rm(this.path(key), { force: true });
  }
}
