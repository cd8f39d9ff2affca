import { CSV_COLUMNS, type EventRecord, type ExportManifest, manifestSigningBytes, type ManifestLog, type ManifestRow, toApiEvent, type UnsignedManifest } from '@audit-trail/audit-core';
import { sign } from 'node:crypto';
import { createHash } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  buildEventWhere,
  completeExport,
  type Database,
  EVENT_SELECT_LIST,
  isoTime,
  escapeLiteral,
  type ExportJobRow,
  findExportForRun,
  latestCheckpoint,
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

/**
 * The formula-injection rule of `neutralizeCell` in SQL: a cell starting
 * with = + - @ tab or CR gets a leading apostrophe. ascii() reads only the
 * first character, which keeps this cheap over millions of cells.
 */
const neutral = (expr: string) => `CASE WHEN ascii(${expr}) IN (61, 43, 45, 64, 9, 13) THEN '''' || ${expr} ELSE ${expr} END`;

/** Each CSV column as a SQL expression, in CSV_COLUMNS order. */
const CSV_SQL: Record<(typeof CSV_COLUMNS)[number], string> = {
  id: 'id',
  occurred_at: isoTime('occurred_at'),
  received_at: isoTime('received_at'),
  scope: `CASE WHEN workspace_id IS NULL THEN 'account' ELSE 'workspace' END`,
  workspace_id: 'workspace_id',
  action: neutral('action'),
  category: neutral('category'),
  outcome: neutral('outcome'),
  actor_type: neutral('actor_type'),
  actor_id: neutral('actor_id'),
  actor_email: neutral('actor_email'),
  actor_name: neutral('actor_name'),
  target_type: neutral('target_type'),
  target_id: neutral('target_id'),
  target_name: neutral('target_name'),
  ip: 'host(ip)',
  user_agent: neutral('user_agent'),
  metadata: neutral('metadata::text'),
  changes: neutral('changes::text'),
  source: 'source',
  api_key_id: 'api_key_id',
};
const CSV_SELECT = CSV_COLUMNS.map((c) => `${CSV_SQL[c]} AS ${c}`).join(', ');

/**
 * COPY takes no bind parameters: inline them as literals. Strings go through
 * escapeLiteral, arrays become ARRAY[...] (the clause adds its own cast).
 */
export function inlineParams(sql: string, params: unknown[]): string {
  const literal = (v: unknown): string => {
    if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(', ')}]`;
    if (typeof v === 'string') return escapeLiteral(v);
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new Error(`cannot inline a ${typeof v} parameter`);
  };
  return sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
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

  const f = row.filters;
  const { log, from, to, requested_at, ...filter } = f;
  const { where, params } = buildEventWhere(accountId, { filter, log, from: new Date(from), to: new Date(to) });
  params.push(requested_at);
  const fullWhere = `${where} AND received_at <= $${params.length}`;
  const fileKey = exportFileKey(row);

  const pending = await storage.create(fileKey);
  try {
    // One snapshot for the count, the rows and the manifest: a long read that never sees the log move.
    const { done, total, bytes, sha256, manifest } = await db.tenant(
      accountId,
      async (reader) => {
        const { rows: countRows } = await reader.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE ${fullWhere}`, params);
        const total = Number(countRows[0].n);
        let done = 0;
        let lastProgress = 0;
        const reportProgress = async (force = false) => {
          const now = Date.now();
          if (!force && now - lastProgress < every) return;
          lastProgress = now;
          await db.tenant(accountId, (c) => setExportProgress(c, exportId, total === 0 ? 1 : Math.min(1, done / total), done));
        };
        await reportProgress(true);

        async function* batches(): AsyncGenerator<EventRecord[]> {
          for (;;) {
            const { rows } = await reader.query<EventRecord>(`FETCH ${fetchRows} FROM export_cursor`);
            if (rows.length === 0) return;
            yield rows;
          }
        }

        const digest = new Digest();
        const logIndex = new Map<string, number>();
        const leafAt: number[] = [];
        const source = async function* () {
          if (row.format === 'csv') {
            // PostgreSQL writes the CSV itself (quoting, header, NULL as empty): the
            // worker only fixes record ends, counts rows, hashes and stores.
            const ends = new CsvRecordEnds();
            const copy = reader.query(copyTo(`COPY (SELECT ${CSV_SELECT} FROM audit_events WHERE ${inlineParams(fullWhere, params)} ORDER BY occurred_at, id) TO STDOUT WITH (FORMAT csv, HEADER)`));
            for await (const chunk of copy as AsyncIterable<Buffer>) {
              const out = ends.convert(chunk);
              done = Math.max(0, ends.records - 1);
              await reportProgress();
              yield out;
            }
          } else {
            // Each row's sealed position comes along, for the manifest.
            await reader.query(
              `DECLARE export_cursor NO SCROLL CURSOR FOR
               SELECT e.*, l.log_id AS leaf_log, l.seq AS leaf_seq, l.leaf_version AS leaf_version FROM (SELECT ${EVENT_SELECT_LIST} FROM audit_events WHERE ${fullWhere}) e
               LEFT JOIN integrity_leaves l ON l.account_id = e.account_id AND l.event_id = e.id
               ORDER BY e.occurred_at, e.id`,
              params,
            );
            for await (const rows of batches()) {
              yield Buffer.from(rows.map((r) => JSON.stringify(toApiEvent(r))).join('\n') + '\n');
              for (const r of rows as (EventRecord & { leaf_log: string | null; leaf_seq: string | null; leaf_version: number | null })[]) {
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
    const leaves = cp ? (await reader.query<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM integrity_leaves WHERE log_id = $1 AND seq < $2 ORDER BY seq', [logId, size])).rows : [];
    sizes.push(size);
    logs.push({
      log_id: logId,
      workspace_id: cp?.workspace_id ?? null,
      checkpoint: cp ? { ...checkpointBody(cp), signature: cp.signature } : ({ signature: '' } as ManifestLog['checkpoint']),
      leaves: Buffer.concat(leaves.map((l) => l.leaf_hash)).toString('base64'),
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
