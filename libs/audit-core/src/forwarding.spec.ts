import { buildRequest, matchesFilter, toOcsf, verifySignature } from './forwarding';
import type { ApiEvent } from './normalize';

const e: ApiEvent = {
  id: '0192f0c4-0000-7000-8000-000000000001', account_id: 'acc', workspace_id: null, scope: 'account', action: 'api_key.created', category: 'api_keys',
  occurred_at: '2026-04-30T14:22:11.000Z', received_at: '2026-04-30T14:22:11.140Z', actor_type: 'user', actor_id: 'u_42', actor_email: 'alice@acme.com',
  actor_name: 'Alice', target_type: 'api_key', target_id: 'k_1', target_name: 'CI', ip: '203.0.113.42', user_agent: 'curl/8', outcome: 'success', metadata: { a: 1 }, changes: null,
  source: 'platform', api_key_id: null,
};

describe('forwarding formats', () => {
  it('filters by action prefix wildcards and categories', () => {
    expect(matchesFilter(e, { actions: [], categories: [] })).toBe(true);
    expect(matchesFilter(e, { actions: ['api_key.*'], categories: [] })).toBe(true);
    expect(matchesFilter(e, { actions: ['api_key.revoked'], categories: [] })).toBe(false);
    expect(matchesFilter(e, { actions: [], categories: ['members'] })).toBe(false);
    expect(matchesFilter(e, { actions: ['api_*'], categories: ['api_keys'] })).toBe(true);
  });

  it('signs webhook bodies with every active secret', () => {
    const req = buildRequest('webhook', 'http://x/hook', 'native', [e], ['new-secret', 'old-secret'], { deliveryId: 'd1', now: Date.parse('2026-05-01T00:00:00Z') });
    const sig = req.headers['audit-signature'];
    expect(sig).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const now = Date.parse('2026-05-01T00:00:10Z');
    expect(verifySignature(sig, 'new-secret', req.body, 300, now)).toBe(true);
    expect(verifySignature(sig, 'old-secret', req.body, 300, now)).toBe(true);
    expect(verifySignature(sig, 'other', req.body, 300, now)).toBe(false);
    expect(verifySignature(sig, 'new-secret', req.body + ' ', 300, now)).toBe(false);
    expect(verifySignature(sig, 'new-secret', req.body, 300, now + 3600_000)).toBe(false);
    expect(JSON.parse(req.body)).toEqual({ events: [e] });
  });

  it('maps key and member events to OCSF Account Change, others to API Activity', () => {
    expect(toOcsf(e)).toMatchObject({ class_uid: 3001, activity_id: 1, type_uid: 300101, status_id: 1, actor: { user: { email_addr: 'alice@acme.com' } } });
    expect(toOcsf({ ...e, action: 'document.deleted', category: 'content', outcome: 'failure' })).toMatchObject({ class_uid: 6003, activity_id: 4, type_uid: 600304, status_id: 2 });
    // Revoking a key and removing a member are not Password Reset (3001 activity 4).
    expect(toOcsf({ ...e, action: 'api_key.revoked' })).toMatchObject({ class_uid: 3001, activity_id: 5, activity_name: 'Disable', type_uid: 300105 });
    expect(toOcsf({ ...e, action: 'member.removed', category: 'members' })).toMatchObject({ class_uid: 3001, activity_id: 6, activity_name: 'Delete', type_uid: 300106 });
    expect(toOcsf({ ...e, action: 'auth.login', category: 'members' })).toMatchObject({ class_uid: 3002, activity_name: 'Logon', user: { email_addr: 'alice@acme.com' } });
    expect(toOcsf({ ...e, action: 'member.role_changed', category: 'members' })).toMatchObject({ class_uid: 3005, activity_name: 'Assign Privileges' });
  });

  it('shapes each receiver’s request', () => {
    const seg = buildRequest('segment', 'http://s/v1/batch', 'native', [e], ['wk'], { deliveryId: 'd' });
    expect(seg.headers.authorization).toBe(`Basic ${Buffer.from('wk:').toString('base64')}`);
    expect(JSON.parse(seg.body).batch[0]).toMatchObject({ type: 'track', event: 'api_key.created', messageId: e.id, userId: 'u_42' });
    const hec = buildRequest('splunk_hec', 'http://h:8088', 'native', [e, e], ['tok'], { deliveryId: 'd' });
    expect(hec.url).toBe('http://h:8088/services/collector/event');
    expect(hec.headers.authorization).toBe('Splunk tok');
    expect(hec.body.split('\n')).toHaveLength(2);
    const dd = buildRequest('datadog', 'http://d/api/v2/logs', 'ocsf', [e], ['ddkey'], { deliveryId: 'd' });
    expect(dd.headers['dd-api-key']).toBe('ddkey');
    expect(JSON.parse(JSON.parse(dd.body)[0].message)).toMatchObject({ class_uid: 3001 });
    const ce = buildRequest('webhook', 'http://w', 'cloudevents', [e], ['s'], { deliveryId: 'd' });
    expect(ce.headers['content-type']).toBe('application/cloudevents-batch+json');
    expect(JSON.parse(ce.body)[0]).toMatchObject({ specversion: '1.0', id: e.id, type: 'dev.audit-trail.api_key.created' });
  });
});
