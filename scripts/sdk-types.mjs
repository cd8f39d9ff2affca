#!/usr/bin/env node
// The SDK's types come from the API's own /openapi.json, never typed by hand.
//   node scripts/sdk-types.mjs [--url http://127.0.0.1:3000]   write libs/sdk/src/openapi.ts
//   node scripts/sdk-types.mjs --check --url <api>               exit 1 when the file and the API differ
// (`npm run sdk:types` with `npm start` running; npm test runs the check against a fresh API.)
import openapiTS, { astToString } from 'openapi-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/env.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const flag = args.indexOf('--url');
const url = flag >= 0 && args[flag + 1] ? args[flag + 1] : (process.env.AUDIT_TRAIL_URL ?? 'http://127.0.0.1:3000');
const target = join(ROOT, 'libs/sdk/src/openapi.ts');

const res = await fetch(`${url.replace(/\/+$/, '')}/openapi.json`).catch((err) => {
  console.error(`[sdk-types] ${url} did not answer (${err.message}): start the API first (npm start)`);
  process.exit(2);
});
if (!res.ok) {
  console.error(`[sdk-types] GET /openapi.json answered ${res.status}`);
  process.exit(2);
}
const doc = await res.json();
// The SDK is for tenants: the platform operator's routes are not part of it (and exist only with OPERATOR_TOKEN).
for (const path of Object.keys(doc.paths)) if (path.startsWith('/v1/operator')) delete doc.paths[path];
const header = '// Generated from the API\'s /openapi.json by `npm run sdk:types`; do not edit.\n// npm test fails when this file and the API differ.\n\n';
const text = header + astToString(await openapiTS(doc, { alphabetize: true }));

if (check) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    const a = current.split('\n');
    const b = text.split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    console.error(`[sdk-types] libs/sdk/src/openapi.ts differs from the API's document from line ${at + 1}:\n  file: ${a[at]}\n  API:  ${b[at]}\nRun npm run sdk:types (with npm start running) and commit the result.`);
    process.exit(1);
  }
  console.log('[sdk-types] the SDK types match the API');
} else {
  writeFileSync(target, text);
  console.log(`[sdk-types] wrote ${target}`);
}
