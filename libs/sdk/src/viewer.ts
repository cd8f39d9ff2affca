import { type HttpOptions, httpOptions, request, type RetryPolicy } from './http.js';
import type { ViewerEntry, ViewerFilters, ViewerPage } from './types.js';

/**
 * Reads with a viewer token (what the embedded viewer runs on): one slice of
 * one log, chosen by the tenant that minted the token. Safe in a browser:
 * the token expires within the hour and reads nothing else.
 */
export class ViewerClient {
  private readonly http: HttpOptions;

  constructor(options: { token: string; baseUrl: string; fetch?: typeof fetch; retry?: Partial<RetryPolicy>; timeoutMs?: number }) {
    if (!options?.token) throw new TypeError('ViewerClient: token is required');
    this.http = httpOptions(options, options.token, { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 5000 });
  }

  /** One page of the slice, newest first; pass `next_cursor` back for the next. */
  page(filters: ViewerFilters = {}, cursor?: string | null, signal?: AbortSignal): Promise<ViewerPage> {
    return request<ViewerPage>(this.http, 'GET', '/v1/viewer/events', { query: { ...filters, cursor: cursor ?? undefined }, signal });
  }

  get(id: string, signal?: AbortSignal): Promise<ViewerEntry> {
    return request<ViewerEntry>(this.http, 'GET', `/v1/viewer/events/${encodeURIComponent(id)}`, { signal });
  }
}
