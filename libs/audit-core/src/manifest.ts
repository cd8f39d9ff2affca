import { createHash, createPublicKey, verify } from 'node:crypto';
import { type CheckpointBody, canonicalJson, checkpointHash, type LeafVersion, leafHash, merkleRoot } from './merkle';
import type { ApiEvent } from './normalize';

/**
 * A self-verifying export: what was asked for, the file's checksum, for each
 * log the signed checkpoint covering the rows and the leaf hashes up to it,
 * and for each NDJSON row its position in that tree. Signed as a whole, so an
 * auditor needs only the files and the public key.
 */
export interface ManifestLog {
  log_id: string;
  workspace_id: string | null;
  checkpoint: CheckpointBody & { signature: string };
  /** The tree's leaf hashes, 32 bytes each, concatenated, base64. */
  leaves: string;
}

/** Where a row's leaf is: [log index, position] or [log index, position, leaf version]. */
export type ManifestRow = [number, number] | [number, number, LeafVersion] | null;

export interface ExportManifest {
  version: 1;
  export_id: string;
  account_id: string;
  format: 'csv' | 'ndjson';
  gzip: boolean;
  filters: Record<string, unknown>;
  row_count: number;
  sha256: string;
  created_at: string;
  logs: ManifestLog[];
  /**
   * Per NDJSON row, in file order: [index into logs, leaf position] for a
   * version 1 leaf, [index, position, 2] for a leaf that covers provenance;
   * null when the row was not sealed yet. CSV: null.
   */
  rows: ManifestRow[] | null;
  key_id: string;
  signature: string;
}

export type UnsignedManifest = Omit<ExportManifest, 'signature'>;

export function manifestSigningBytes(m: UnsignedManifest): Buffer {
  return Buffer.from(canonicalJson(m), 'utf8');
}

export interface ManifestCheck {
  ok: boolean;
  rows: number;
  proven: number;
  problems: string[];
}

function verifySig(publicKeyPem: string, data: Buffer, signature: string): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Check an export against its manifest with the public key alone: the
 * manifest's signature, the file's SHA-256, each checkpoint's signature and
 * root, and every NDJSON row against its sealed leaf. `file` is the file as
 * downloaded; `lines` its NDJSON events (already gunzipped).
 */
export function verifyExport(file: Buffer, lines: ApiEvent[] | null, manifest: ExportManifest, publicKeyPem: string): ManifestCheck {
  const problems: string[] = [];
  const { signature, ...unsigned } = manifest;
  if (!verifySig(publicKeyPem, manifestSigningBytes(unsigned), signature)) problems.push('the manifest is not signed by this key, or was changed after signing');
  const digest = createHash('sha256').update(file).digest('hex');
  if (digest !== manifest.sha256) problems.push(`the file's SHA-256 is ${digest}, the manifest says ${manifest.sha256}: the file was changed`);
  const trees = manifest.logs.map((log, i) => {
    const { signature: cpSig, ...body } = log.checkpoint;
    if (!verifySig(publicKeyPem, Buffer.from(canonicalJson(body), 'utf8'), cpSig)) problems.push(`checkpoint ${checkpointHash(body)} of log ${log.log_id} is not signed by this key`);
    const raw = Buffer.from(log.leaves, 'base64');
    const leaves = Array.from({ length: raw.length / 32 }, (_, k) => raw.subarray(k * 32, k * 32 + 32));
    if (leaves.length !== body.tree_size) problems.push(`log ${i}: the manifest carries ${leaves.length} leaves for a tree of ${body.tree_size}`);
    else if (merkleRoot(leaves).toString('hex') !== body.root_hash) problems.push(`log ${log.log_id}: the leaves do not produce the signed root`);
    return leaves;
  });
  let proven = 0;
  if (lines) {
    if (lines.length !== manifest.row_count) problems.push(`the file has ${lines.length} rows, the manifest says ${manifest.row_count}`);
    lines.forEach((e, i) => {
      const at = manifest.rows?.[i];
      if (!at) {
        problems.push(`row ${i + 1} (event ${e.id}) is not covered by a signed checkpoint`);
        return;
      }
      const leaf = trees[at[0]]?.[at[1]];
      if (!leaf || !leaf.equals(leafHash(e, at[2] ?? 1))) problems.push(`row ${i + 1} (event ${e.id}) does not match its sealed leaf: it was changed`);
      else proven++;
    });
  }
  return { ok: problems.length === 0, rows: lines?.length ?? manifest.row_count, proven, problems };
}
