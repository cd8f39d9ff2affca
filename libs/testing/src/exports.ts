import { call } from './http';
import type { ApiUnderTest, Tenant } from './tenants';

/** Poll an export until it reaches `status` (a `failed` export, or the deadline, throws with its last state). */
export async function waitForExport(t: ApiUnderTest, tenant: Tenant, id: string, status = 'completed', timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(t.url, 'GET', `/v1/exports/${id}`, { key: tenant.key });
    if (res.body.status === status) return res.body;
    if (res.body.status === 'failed' || Date.now() > end) throw new Error(`export ${id}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fetch a download link: status, bytes and headers. */
export async function download(url: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}
