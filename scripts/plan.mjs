#!/usr/bin/env node
// Set an account's plan without Stripe (BILLING_MODE=static), through the
// running API's operator endpoint, so the change is audited like any other.
//   npm run plan -- <account-id> <free|essentials|premium|enterprise> [reason]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, loadDotEnv } from './lib/env.mjs';

loadDotEnv();
const [accountId, plan, ...reason] = process.argv.slice(2);
if (!accountId || !plan) {
  console.error('usage: npm run plan -- <account-id> <free|essentials|premium|enterprise> [reason]');
  process.exit(2);
}
let token = process.env.OPERATOR_TOKEN;
const secrets = join(DATA, 'secrets.json');
if (!token && existsSync(secrets)) token = JSON.parse(readFileSync(secrets, 'utf8')).OPERATOR_TOKEN;
if (!token) {
  console.error('OPERATOR_TOKEN is not set (npm start keeps one in .data/secrets.json).');
  process.exit(2);
}
const base = process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const res = await fetch(`${base}/v1/operator/accounts/${accountId}/plan`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ plan, ...(reason.length ? { reason: reason.join(' ') } : {}) }),
}).catch((err) => {
  console.error(`The API at ${base} does not answer (${err.message}); is it running?`);
  process.exit(3);
});
const body = await res.json();
console.log(JSON.stringify(body, null, 2));
process.exit(res.ok ? 0 : 1);
