import { Injectable } from '@nestjs/common';
import { Database, workspaceIdsOf } from '@audit-trail/data';

const TTL_MS = 2000;

/** Which workspaces an account has, cached briefly so ingest can check ids without a round trip. */
@Injectable()
export class WorkspaceDirectory {
  private readonly cache = new Map<string, { ids: Set<string>; expires: number }>();

  constructor(private readonly db: Database) {}

  async ids(accountId: string): Promise<Set<string>> {
    const hit = this.cache.get(accountId);
    if (hit && hit.expires > Date.now()) return hit.ids;
    const ids = await this.db.tenant(accountId, (c) => workspaceIdsOf(c));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(accountId, { ids, expires: Date.now() + TTL_MS });
    return ids;
  }

  forget(accountId: string): void {
    this.cache.delete(accountId);
  }
}
