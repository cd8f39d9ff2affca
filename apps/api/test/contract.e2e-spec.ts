import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { call, createTenant, event, startApp, type Tenant, type TestApp } from './harness';

// What /openapi.json says a route answers is what it answers: real answers
// checked against the published response schemas (the SDK's types come from them).
let t: TestApp;
let acme: Tenant;
let check: (path: string, method: string, status: number, body: unknown) => string[];

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Contract Co');
  const doc = (await call(t.url, 'GET', '/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', ...doc });
  check = (path, method, status, body) => {
    const schema = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return [`no response schema for ${method.toUpperCase()} ${path} ${status}`];
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
});
afterAll(async () => {
  await t?.close();
});

describe('published response schemas', () => {
  it('describe the answers of ingest, query, entry, feed, exports and the viewer exactly', async () => {
    const answers: [string, string, number, { status: number; body: unknown }][] = [];
    const ingest = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ target: { type: 'doc', id: 'd1' }, changes: { before: { a: 1 }, after: { a: 2 } }, context: { ip: '203.0.113.9' } }) });
    answers.push(['/v1/events', 'post', 202, ingest]);
    const id = ingest.body.ids[0];
    answers.push(['/v1/events', 'get', 200, await call(t.url, 'GET', '/v1/events', { key: acme.key })]);
    answers.push(['/v1/events/{id}', 'get', 200, await call(t.url, 'GET', `/v1/events/${id}`, { key: acme.key })]);
    answers.push(['/v1/events/feed', 'get', 200, await call(t.url, 'GET', '/v1/events/feed', { key: acme.key })]);
    const x = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv' } });
    answers.push(['/v1/exports', 'post', 202, x]);
    answers.push(['/v1/exports/{id}', 'get', 200, await call(t.url, 'GET', `/v1/exports/${x.body.id}`, { key: acme.key })]);
    answers.push(['/v1/exports', 'get', 200, await call(t.url, 'GET', '/v1/exports', { key: acme.key })]);
    const token = await call(t.url, 'POST', '/v1/viewer-tokens', { key: acme.key, body: { viewer: { id: 'c' }, filter: { target_id: 'd1' } } });
    answers.push(['/v1/viewer-tokens', 'post', 201, token]);
    answers.push(['/v1/viewer/events', 'get', 200, await call(t.url, 'GET', '/v1/viewer/events', { key: token.body.token })]);
    answers.push(['/v1/viewer/events/{id}', 'get', 200, await call(t.url, 'GET', `/v1/viewer/events/${id}`, { key: token.body.token })]);
    for (const [path, method, status, res] of answers) {
      expect([path, method, res.status]).toEqual([path, method, status]);
      expect([path, method, check(path, method, status, res.body)]).toEqual([path, method, []]);
    }
    // The schemas are strict: an answer with a field they do not name fails.
    expect(check('/v1/events/{id}', 'get', 200, { ...answers[2][3].body as object, extra: 1 })).not.toEqual([]);
  });
});
