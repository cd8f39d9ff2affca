import { batchBody, fitsOneRequest, MAX_BATCH_EVENTS, newIdempotencyKey, type Serialized, serialize } from './batch.js';
import { AuditTrailError, ConnectionError, FlushError, PartialBatchError } from './errors.js';
import { type HttpOptions, httpOptions, type Query, request, type RetryPolicy } from './http.js';
import type { Entry, EventFilters, EventInput, Export, ExportRequest, FeedPage, FeedQuery, IngestResult, EventPage, AuditEvent, ViewerToken, ViewerTokenRequest } from './types.js';
import { verifyWebhook } from './webhooks.js';

export interface AuditTrailOptions {
  /** An API key (`atk_…`). Keep it on your servers. */
  apiKey: string;
  /** Where the API answers, e.g. `https://audit.example.com` or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Retries on 429, 502–504 and failed connections (defaults: 5 retries, 250 ms doubling to 20 s, full jitter; Retry-After honoured). */
  retry?: Partial<RetryPolicy>;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
  /** Background batching for `events.enqueue`. */
  batching?: {
    /** Events per request (default and maximum 1,000). */
    maxEvents?: number;
    /** Send at the latest this long after the first queued event (default 1 s). */
    flushIntervalMs?: number;
    /** Queued events at most; past it `enqueue` waits for room (default 10,000). */
    maxQueue?: number;
    /** Requests in flight at once (default 2). */
    concurrency?: number;
  };
  /** Told about each background batch that could not be stored (flush() also reports them). */
  onError?: (error: AuditTrailError | ConnectionError, events: EventInput[]) => void;
  /** Your own fetch (defaults to the global one). */
  fetch?: typeof fetch;
}

/** An async iterable over a log's commit-order feed; `position` is where to resume. */
export interface Feed extends AsyncIterable<AuditEvent> {
  /**
   * The position after every page handed out in full: store it and pass it
   * as `after` to resume. Resuming mid-page repeats the rest of that page,
   * never skips it.
   */
  readonly position: string | null;
}

const withKey = (e: EventInput): EventInput => (e.idempotency_key ? e : { ...e, idempotency_key: newIdempotencyKey() });

/**
 * The Audit Trail API from Node 20+ or a browser.
 *
 * ```ts
 * const at = new AuditTrail({ apiKey: process.env.AUDIT_TRAIL_KEY!, baseUrl: 'https://audit.example.com' });
 * await at.events.send({ action: 'document.update', actor: { type: 'user', id: 'u_1' } });
 * ```
 */
export class AuditTrail {
  private readonly http: HttpOptions;
  private readonly opts: AuditTrailOptions;
  private readonly queue: Serialized<EventInput>[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly failures: { error: AuditTrailError | ConnectionError; events: EventInput[] }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sentSinceFlush = 0;

  readonly events: {
    /** Store one event; resolves once it is committed. Retries never duplicate it (it carries an idempotency key from before its first attempt). */
    send(event: EventInput, init?: { signal?: AbortSignal }): Promise<IngestResult>;
    /** Store many, in order, split into requests of ≤ 1,000 events and ≤ 1 MiB. A failure part way throws PartialBatchError naming what was stored. */
    sendBatch(events: EventInput[], init?: { signal?: AbortSignal }): Promise<IngestResult>;
    /** Queue one event for background batching; resolves at once, or when there is room again (backpressure). Call `flush()` before exiting. */
    enqueue(event: EventInput): Promise<void>;
    /** Every entry matching the filters, newest first, following cursors. */
    list(filters?: EventFilters, init?: { pageSize?: number; signal?: AbortSignal }): AsyncIterable<Entry>;
    /** One entry by id. */
    get(id: string): Promise<AuditEvent>;
    /** One log in commit order after `after`; ends when caught up unless `follow` (then polls every `pollMs`, default 2 s, until `signal` aborts). */
    feed(query?: FeedQuery & { follow?: boolean; pollMs?: number; signal?: AbortSignal }): Feed;
  };

  readonly exports: {
    create(req: ExportRequest): Promise<Export>;
    get(id: string): Promise<Export>;
    /** Poll until the export is completed (resolves) or failed/expired (throws); default every second for up to 10 minutes. */
    waitFor(id: string, opts?: { intervalMs?: number; timeoutMs?: number; onProgress?: (e: Export) => void }): Promise<Export>;
  };

  readonly viewerTokens: {
    /** A short-lived token for the embedded viewer: one of your customers reads one slice of one log. Mint it on your server. */
    create(req: ViewerTokenRequest): Promise<ViewerToken>;
  };

  readonly webhooks = {
    /** Check an `Audit-Signature` header against the raw request body (Web Crypto; Node 20+ and browsers). */
    verify: verifyWebhook,
  };

  constructor(options: AuditTrailOptions) {
    if (!options?.apiKey) throw new TypeError('AuditTrail: apiKey is required');
    if (!options.baseUrl) throw new TypeError('AuditTrail: baseUrl is required');
    this.opts = options;
    this.http = httpOptions(options, options.apiKey, { maxRetries: 5, baseDelayMs: 250, maxDelayMs: 20_000 });
    this.events = {
      send: (event, init) => this.call<IngestResult>('POST', '/v1/events', { body: withKey(event), signal: init?.signal }),
      sendBatch: (events, init) => this.sendBatch(events, init?.signal),
      enqueue: (event) => this.enqueue(event),
      list: (filters, init) => this.pages<EventPage, Entry>('/v1/events', { ...filters, limit: init?.pageSize ?? filters?.limit ?? 500 }, init?.signal),
      get: (id) => this.call<AuditEvent>('GET', `/v1/events/${encodeURIComponent(id)}`),
      feed: (query) => this.feed(query ?? {}),
    };
    this.exports = {
      create: (req) => this.call<Export>('POST', '/v1/exports', { body: req }),
      get: (id) => this.call<Export>('GET', `/v1/exports/${encodeURIComponent(id)}`),
      waitFor: (id, opts) => this.waitForExport(id, opts),
    };
    this.viewerTokens = { create: (req) => this.call<ViewerToken>('POST', '/v1/viewer-tokens', { body: req }) };
  }

  private call<T>(method: string, path: string, init: { query?: Query; body?: unknown; rawBody?: string; signal?: AbortSignal } = {}): Promise<T> {
    return request<T>(this.http, method, path, init);
  }

  private async sendBatch(events: EventInput[], signal?: AbortSignal): Promise<IngestResult> {
    // Each event is serialized once: its size decides the split, its JSON goes into the body.
    const items = events.map((e) => serialize(withKey(e)));
    const ids: string[] = [];
    const max = this.opts.batching?.maxEvents ?? MAX_BATCH_EVENTS;
    for (let at = 0; at < items.length; ) {
      const n = fitsOneRequest(items, max, undefined, at);
      try {
        const res = await this.call<IngestResult>('POST', '/v1/events', { rawBody: batchBody(items.slice(at, at + n)), signal });
        ids.push(...res.ids);
      } catch (err) {
        if (ids.length === 0 || !(err instanceof AuditTrailError || err instanceof ConnectionError)) throw err;
        throw new PartialBatchError(ids, items.length - at, err);
      }
      at += n;
    }
    return { ids };
  }

  private async enqueue(event: EventInput): Promise<void> {
    const max = this.opts.batching?.maxQueue ?? 10_000;
    while (this.queue.length >= max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    // Stamped now: the event happened when it was queued, not when the batch left.
    this.queue.push(serialize(withKey(event.occurred_at ? event : { ...event, occurred_at: new Date().toISOString() })));
    if (this.queue.length >= (this.opts.batching?.maxEvents ?? MAX_BATCH_EVENTS)) this.pump();
    else this.timer ??= setTimeout(() => this.pump(), this.opts.batching?.flushIntervalMs ?? 1000);
  }

  /** Start sending queued batches, up to the concurrency limit. */
  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const concurrency = this.opts.batching?.concurrency ?? 2;
    while (this.queue.length > 0 && this.inFlight.size < concurrency) {
      const batch = this.queue.splice(0, fitsOneRequest(this.queue, this.opts.batching?.maxEvents ?? MAX_BATCH_EVENTS));
      for (const wake of this.waiting.splice(0, batch.length)) wake();
      const events = batch.map((b) => b.event);
      const sending: Promise<void> = this.call<IngestResult>('POST', '/v1/events', { rawBody: batchBody(batch) })
        .then(
          () => {
            this.sentSinceFlush += batch.length;
          },
          (err: unknown) => {
            const error = err instanceof AuditTrailError || err instanceof ConnectionError ? err : new ConnectionError(String(err), err);
            this.failures.push({ error, events });
            this.opts.onError?.(error, events);
          },
        )
        .finally(() => {
          this.inFlight.delete(sending);
          this.pump();
        });
      this.inFlight.add(sending);
    }
    // With every slot busy, the next request to finish pumps again.
  }

  /**
   * Send everything queued and wait for it. Resolves with how many events
   * were stored; throws FlushError with the events that could not be (after
   * every retry), so nothing is dropped silently.
   */
  async flush(): Promise<{ sent: number }> {
    this.pump();
    while (this.inFlight.size > 0 || this.queue.length > 0) {
      await Promise.race(this.inFlight);
      if (this.queue.length > 0) this.pump();
    }
    const failures = this.failures.splice(0);
    const sent = this.sentSinceFlush;
    this.sentSinceFlush = 0;
    if (failures.length) throw new FlushError(failures);
    return { sent };
  }

  private async *pagesOf<P extends { entries: E[]; next_cursor: string | null }, E>(path: string, query: Query, signal?: AbortSignal): AsyncGenerator<E> {
    let cursor: string | null = null;
    do {
      const page: P = await this.call<P>('GET', path, { query: { ...query, cursor: cursor ?? undefined }, signal });
      yield* page.entries;
      cursor = page.next_cursor;
    } while (cursor);
  }

  private pages<P extends { entries: E[]; next_cursor: string | null }, E>(path: string, query: Query, signal?: AbortSignal): AsyncIterable<E> {
    return { [Symbol.asyncIterator]: () => this.pagesOf<P, E>(path, query, signal) };
  }

  private feed(q: FeedQuery & { follow?: boolean; pollMs?: number; signal?: AbortSignal }): Feed {
    const { follow, pollMs, signal, after, ...query } = q;
    const state = { position: after ?? null };
    const call = this.call.bind(this);
    async function* run(): AsyncGenerator<AuditEvent> {
      for (;;) {
        const page = await call<FeedPage>('GET', '/v1/events/feed', { query: { ...query, after: state.position ?? undefined }, signal });
        yield* page.entries;
        // Only once the whole page has been taken does the position move past it.
        state.position = page.next_position ?? state.position;
        if (page.entries.length > 0) continue;
        if (!follow) return;
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, pollMs ?? 2000);
          signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
        });
      }
    }
    return {
      get position() {
        return state.position;
      },
      [Symbol.asyncIterator]: run,
    };
  }

  private async waitForExport(id: string, opts: { intervalMs?: number; timeoutMs?: number; onProgress?: (e: Export) => void } = {}): Promise<Export> {
    const end = Date.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const e = await this.exports.get(id);
      opts.onProgress?.(e);
      if (e.status === 'completed') return e;
      if (e.status === 'failed' || e.status === 'expired') {
        throw new AuditTrailError(409, { type: 'https://audit-trail.dev/problems/export-failed', title: `Export ${e.status}`, status: 409, detail: e.error ?? `The export is ${e.status}.` }, null);
      }
      if (Date.now() > end) throw new ConnectionError(`export ${id} was still ${e.status} (${Math.round(e.progress * 100)} %) after ${opts.timeoutMs ?? 600_000} ms`);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
  }
}
