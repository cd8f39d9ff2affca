import type { SqlExecutor } from '../database';

/**
 * Every Stripe webhook delivery we have seen, by Stripe's event id: a second
 * delivery of the same event is a duplicate and changes nothing.
 */
export interface StripeEventClaim {
  id: string;
  type: string;
  accountId: string | null;
  createdAt: Date;
  outcome?: string;
}

/** Record the event; false when it was recorded before (a redelivery). */
export async function claimStripeEvent(exec: SqlExecutor, e: StripeEventClaim): Promise<boolean> {
  const { rows } = await exec.query<{ id: string }>(
    `INSERT INTO stripe_events (id, type, account_id, created_at, outcome) VALUES ($1, $2, $3, $4, coalesce($5, 'applied')) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [e.id, e.type, e.accountId, e.createdAt, e.outcome ?? null],
  );
  return rows.length > 0;
}

/** What applying the event did, for the operator reading the table later. */
export async function setStripeEventOutcome(exec: SqlExecutor, id: string, outcome: string): Promise<void> {
  await exec.query('UPDATE stripe_events SET outcome = $2 WHERE id = $1', [id, outcome]);
}
