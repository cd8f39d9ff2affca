#!/usr/bin/env node
import { type ApiEvent, type ExportManifest, verifyExport } from '@audit-trail/audit-core';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const USAGE = 'usage: audit-trail-verify <export.ndjson[.gz]> --manifest <manifest.json> --public-key <key.pem>';

/** Parse the arguments; null when they do not fit. */
export function parseArgs(argv: string[]): { file: string; manifest: string; publicKey: string } | null {
  let file: string | undefined;
  let manifest: string | undefined;
  let publicKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--manifest') manifest = argv[++i];
    else if (a === '--public-key') publicKey = argv[++i];
    else if (!a.startsWith('--') && !file) file = a;
    else return null;
  }
  return file && manifest && publicKey ? { file, manifest, publicKey } : null;
}

/** Verify, print what was found, and answer the exit code: 0 verified, 1 not verified, 2 bad usage or unreadable input. */
export function main(argv: string[], out: (s: string) => void = console.log): number {
  const args = parseArgs(argv);
  if (!args) {
    out(USAGE);
    return 2;
  }
  let file: Buffer;
  let manifest: ExportManifest;
  let key: string;
  try {
    file = readFileSync(args.file);
    manifest = JSON.parse(readFileSync(args.manifest, 'utf8')) as ExportManifest;
    key = readFileSync(args.publicKey, 'utf8');
  } catch (err) {
    out(`cannot read the input: ${(err as Error).message}`);
    return 2;
  }
  let lines: ApiEvent[] | null = null;
  if (manifest.format === 'ndjson') {
    const text = (manifest.gzip ? gunzipSync(file) : file).toString('utf8');
    lines = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ApiEvent);
  }
  const r = verifyExport(file, lines, manifest, key);
  if (r.ok) {
    const sizes = manifest.logs.map((l) => `${l.log_id} at size ${l.checkpoint.tree_size}`).join(', ');
    out(`OK: ${r.proven.toLocaleString('en-US')} of ${r.rows.toLocaleString('en-US')} events proven against signed checkpoints (${sizes || 'no sealed log'}); file SHA-256 ${manifest.sha256}; key ${manifest.key_id}.`);
    if (!lines) out('This is a CSV export: its checksum and manifest are verified; rows are proven one by one only in NDJSON exports.');
    return 0;
  }
  out(`NOT VERIFIED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}.`);
  for (const p of r.problems.slice(0, 20)) out(`- ${p}`);
  if (r.problems.length > 20) out(`- … and ${r.problems.length - 20} more`);
  return 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
