import { type ExportManifest, manifestSigningBytes, type ManifestLog, type ManifestRow, toApiEvent, type UnsignedManifest } from '@audit-trail/audit-core';
import { sign } from 'node:crypto';
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  completeExport,
  copyExportCsv,
  countExportRows,
  type Database,
  type ExportJobRow,
  exportRowBatches,
  findExportForRun,
  latestCheckpoint,
  leafHashesBelow,
  markExportFailed,
  setExportProgress,
  startExportRun,
} from '@audit-trail/data';
import { checkpointBody } from '../integrity/verify';
import type { SigningKey } from '../integrity/signing';
import type { ExportStorage } from './storage';

export interface RunExportOptions {
  fetchRows?: number;
  progressEveryMs?: number;
  /** How long a finished file stays downloadable. */
  keepForMs?: number;
  /** Sign a manifest next to the file (accounts with integrity proofs; seal the logs first). */
  manifestKey?: SigningKey;
  /**
   * Where the rows are read (a read replica that has replayed the export's
   * request and the sealing before it); progress and the result are written
   * through `db` all the same. Default: `db`.
   */
  reader?: Database;
}

export const manifestFileKey = (fileKey: string) => `${fileKey}.manifest.json`;

export function exportFileKey(row: Pick<ExportJobRow, 'id' | 'account_id' | 'format' | 'gzip'>): string {
  return `${row.account_id}/${row.id}.${row.format}${row.gzip ? '.gz' : ''}`;
}

/** Counts bytes and hashes them on the way to storage. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/**
 * PostgreSQL's CSV ends records with LF; RFC 4180 wants CRLF. Rewrites the
 * record ends (LFs outside quoted fields; quotes inside fields are doubled,
 * so toggling on every quote tracks the state) and counts records.
 */
export class CsvRecordEnds {
  records = 0;
  private quoted = false;
  convert(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    let quoted = this.quoted;
    let records = this.records;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) quoted = !quoted;
      else if (b === LF && !quoted) {
        parts.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
        records++;
      }
    }
    this.quoted = quoted;
    this.records = records;
    if (start === 0) return chunk;
    if (start < chunk.length) parts.push(chunk.subarray(start));
    return Buffer.concat(parts);
  }
}

/**
 * Stream one export from PostgreSQL to storage: a read-only, repeatable-read
 * snapshot, a server-side cursor fetched in slices (never the whole result in
 * memory), progress written to the export row at least every second, the
 * file written under a temporary name and made visible only when complete.
 * Running it again after a crash rewrites the file from the start.
 */
export async function runExport(
  db: Database,
  storage: ExportStorage,
  exportId: string,
  accountId: string,
  opts: RunExportOptions = {},
): Promise<{ rows: number; bytes: number; sha256: string; fileKey: string } | null> {
  const fetchRows = opts.fetchRows ?? 5000;
  const every = opts.progressEveryMs ?? 1000;
  const row = await db.tenant(accountId, (c) => startExportRun(c, exportId));
  if (!row) return null; // completed, expired or gone: nothing to do (a duplicate run).

  const fileKey = exportFileKey(row);

  const pending = await storage.create(fileKey);
  try {
    // One snapshot for the count, the rows and the manifest: a long read that never sees the log move.
    const { done, total, bytes, sha256, manifest } = await (opts.reader ?? db).tenant(
      accountId,
      async (reader) => {
        const total = await countExportRows(reader, accountId, row.filters);
        let done = 0;
        let lastProgress = 0;
        const reportProgress = async (force = false) => {
          const now = Date.now();
          if (!force && now - lastProgress < every) return;
          lastProgress = now;
          await db.tenant(accountId, (c) => setExportProgress(c, exportId, total === 0 ? 1 : Math.min(1, done / total), done));
        };
        await reportProgress(true);

        const digest = new Digest();
        const logIndex = new Map<string, number>();
        const leafAt: number[] = [];
        const source = async function* () {
          if (row.format === 'csv') {
            // PostgreSQL writes the CSV itself (quoting, header, NULL as empty): the
            // worker only fixes record ends, counts rows, hashes and stores.
            const ends = new CsvRecordEnds();
            for await (const chunk of copyExportCsv(reader, accountId, row.filters)) {
              const out = ends.convert(chunk);
              done = Math.max(0, ends.records - 1);
              await reportProgress();
              yield out;
            }
          } else {
            // Each row's sealed position comes along, for the manifest.
            for await (const rows of exportRowBatches(reader, accountId, row.filters, fetchRows)) {
              yield Buffer.from(rows.map((r) => JSON.stringify(toApiEvent(r))).join('\n') + '\n');
              for (const r of rows) {
                if (r.leaf_log === null) {
                  leafAt.push(-1, -1, 0);
                  continue;
                }
                let li = logIndex.get(r.leaf_log);
                if (li === undefined) logIndex.set(r.leaf_log, (li = logIndex.size));
                leafAt.push(li, Number(r.leaf_seq), Number(r.leaf_version));
              }
              done += rows.length;
              await reportProgress();
            }
          }
        };
        if (row.gzip) await pipeline(source, createGzip(), digest, pending.stream);
        else await pipeline(source, digest, pending.stream);
        const sha256 = digest.hash.digest('hex');
        let manifest: UnsignedManifest | null = null;
        if (opts.manifestKey) {
          manifest = await buildManifest(reader, row, accountId, { sha256, rows: done, logIndex, leafAt, keyId: opts.manifestKey.keyId });
        }
        return { done, total, bytes: digest.bytes, sha256, manifest };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
    if (done !== total) throw new Error(`export counted ${total} rows but wrote ${done}`);
    let manifestKey: string | null = null;
    if (manifest && opts.manifestKey) {
      const signed: ExportManifest = { ...manifest, signature: sign(null, manifestSigningBytes(manifest), opts.manifestKey.privateKey).toString('base64') };
      manifestKey = manifestFileKey(fileKey);
      const m = await storage.create(manifestKey);
      await pipeline(Readable.from([Buffer.from(JSON.stringify(signed))]), m.stream);
      await m.commit();
    }
    await pending.commit();
    const expiresAt = new Date(Date.now() + (opts.keepForMs ?? 7 * 86_400_000));
    await db.tenant(accountId, (c) => completeExport(c, exportId, { rows: done, bytes: bytes, sha256, fileKey, expiresAt, manifestKey }));
    return { rows: done, bytes: bytes, sha256, fileKey };
  } catch (err) {
    await pending.abort().catch(() => undefined);
    throw err;
  }
}

/** Record a final failure in words a person can act on. */
/**
 * End an export as failed with a reason people can read, and remove its
 * partial file: a `.part` never outlives its export. A completed export is
 * left as it is.
 */
export async function failExport(db: Database, storage: ExportStorage, exportId: string, accountId: string, message: string): Promise<void> {
  const row = await db.tenant(accountId, (c) => findExportForRun(c, exportId));
  if (!row || row.status === 'completed') return;
  // The partial file goes first: whoever sees `failed` never finds it still there.
  await storage.discard(exportFileKey(row));
  await db.tenant(accountId, (c) => markExportFailed(c, exportId, message));
}


/**
 * The manifest of a finished file, read in the export's own snapshot: for
 * each log its rows were sealed in, the newest signed checkpoint and the
 * leaves up to it; for each NDJSON row its position (null when not covered).
 */
async function buildManifest(
  reader: import('pg').PoolClient,
  row: ExportJobRow,
  accountId: string,
  x: { sha256: string; rows: number; logIndex: Map<string, number>; leafAt: number[]; keyId: string },
): Promise<UnsignedManifest> {
  const logs: ManifestLog[] = [];
  const sizes: number[] = [];
  for (const [logId] of [...x.logIndex.entries()].sort((a, b) => a[1] - b[1])) {
    const cp = await latestCheckpoint(reader, logId);
    const size = cp ? Number(cp.tree_size) : 0;
    const leaves = cp ? await leafHashesBelow(reader, logId, size) : [];
    sizes.push(size);
    logs.push({
      log_id: logId,
      workspace_id: cp?.workspace_id ?? null,
      checkpoint: cp ? { ...checkpointBody(cp), signature: cp.signature } : ({ signature: '' } as ManifestLog['checkpoint']),
      leaves: Buffer.concat(leaves).toString('base64'),
    });
  }
  // Per row [log, position], and the leaf's version when it is not 1 (leaves sealed with provenance).
  const rows: ManifestRow[] | null =
    row.format === 'ndjson'
      ? Array.from({ length: x.leafAt.length / 3 }, (_, i) => {
          const [li, seq, version] = [x.leafAt[3 * i], x.leafAt[3 * i + 1], x.leafAt[3 * i + 2]];
          if (li < 0 || seq >= sizes[li]) return null;
          return version === 1 ? ([li, seq] as ManifestRow) : ([li, seq, version] as ManifestRow);
        })
      : null;
  const { log: _log, requested_at: _r, ...filters } = row.filters;
  return {
    version: 1,
    export_id: row.id,
    account_id: accountId,
    format: row.format,
    gzip: row.gzip,
    filters,
    row_count: x.rows,
    sha256: x.sha256,
    created_at: new Date().toISOString(),
    logs,
    rows,
    key_id: x.keyId,
  };
}
