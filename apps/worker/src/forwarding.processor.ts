import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig, forwardingPrivateAccess } from '@audit-trail/config';
import { Database, deliveriesDue } from '@audit-trail/data';
import { type DeliverPayload, deliverJobId, JOBS, QUEUES } from '@audit-trail/queues';
import { AuditWriter, deliverNext, deliverReplay, type DeliveryOptions, type DeliveryOutcome, EventWriter, SecretBox } from '@audit-trail/engines';
import { isNotConnectionError, type Job, type Queue } from 'bullmq';
import { CONFIG } from './tokens';

/** How long one delivery job keeps sending before it yields to the others. */
const SLICE_MS = 2000;

/**
 * Forwarding. A tick (job scheduler, every FORWARDING_TICK_MS) enqueues one
 * `deliver` job per due destination; each job sends batches after the
 * destination's cursor until it is caught up. The cursor in PostgreSQL is the
 * truth: a lost job, a flushed Redis or a killed worker only delays delivery.
 */
@Processor(QUEUES.forwarding, {
  concurrency: 4,
  // A killed worker's delivery is picked up again after this (the live worker renews its lock while it sends).
  lockDuration: Number(process.env.FORWARDING_LOCK_MS ?? 10_000),
  stalledInterval: Number(process.env.FORWARDING_LOCK_MS ?? 10_000),
})
export class ForwardingProcessor extends WorkerHost {
  private readonly logger = new Logger(ForwardingProcessor.name);
  private readonly audit: AuditWriter;
  private readonly options: DeliveryOptions;

  constructor(
    private readonly db: Database,
    @Inject(CONFIG) config: AppConfig,
    @InjectQueue(QUEUES.forwarding) private readonly queue: Queue<DeliverPayload>,
  ) {
    super();
    this.audit = new AuditWriter(db, new EventWriter(db));
    this.options = {
      box: new SecretBox(config.SESSION_SECRET),
      allowPrivate: forwardingPrivateAccess(config),
      timeoutMs: config.FORWARDING_TIMEOUT_MS,
      backoffBaseMs: config.FORWARDING_BACKOFF_MS,
      giveUpMs: config.FORWARDING_GIVE_UP_HOURS * 3_600_000,
    };
  }

  async process(job: Job<DeliverPayload>): Promise<unknown> {
    switch (job.name) {
      case JOBS.forwardingTick:
        return this.tick();
      case JOBS.deliver:
        return this.deliver(job.data);
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  /**
   * A job lost under the worker (Redis flushed or restarted) is only logged:
   * the cursor in PostgreSQL carries on. Lost connections are not: the module
   * says once per outage that Redis is unavailable.
   */
  @OnWorkerEvent('error')
  onError(err: Error) {
    if (isNotConnectionError(err)) this.logger.warn(`forwarding queue: ${err.message}`);
  }

  async tick(): Promise<{ enqueued: number }> {
    const due = await deliveriesDue(this.db);
    for (const d of due) {
      const payload: DeliverPayload = { destinationId: d.destination_id, accountId: d.account_id, ...(d.replay_id ? { replayId: d.replay_id } : {}) };
      await this.queue.add(JOBS.deliver, payload, { jobId: deliverJobId(payload), removeOnComplete: true, removeOnFail: true, attempts: 1 });
    }
    return { enqueued: due.length };
  }

  /** Send until caught up (or the slice is used), then let the next tick continue. */
  async deliver(p: DeliverPayload): Promise<{ events: number; last: DeliveryOutcome['kind'] }> {
    const until = Date.now() + SLICE_MS;
    let events = 0;
    let outcome: DeliveryOutcome;
    do {
      outcome = p.replayId ? await deliverReplay(this.db, p.accountId, p.replayId, this.options) : await deliverNext(this.db, p.accountId, p.destinationId, this.options);
      if (outcome.kind === 'delivered') events += outcome.events;
    } while (outcome.kind === 'delivered' && outcome.more && Date.now() < until);
    if (outcome.kind === 'disabled') {
      this.logger.warn(`destination ${p.destinationId} disabled: ${outcome.reason}`);
      await this.audit.recordForJob({
        accountId: p.accountId,
        action: 'destination.disabled',
        actor: { type: 'system', id: 'forwarding', name: 'Forwarding' },
        target: { type: 'destination', id: p.destinationId },
        metadata: { reason: outcome.reason },
      });
    }
    return { events, last: outcome.kind };
  }
}
