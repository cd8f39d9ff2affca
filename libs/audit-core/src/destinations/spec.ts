import type { ApiEvent } from '../normalize';

/** The request field a destination's credential is written to (and rotated through). */
export type CredentialField = 'secret' | 'token' | 'write_key';

/** Everything a receiver type's request builder gets: the events, each already in the destination's format. */
export interface RequestContext {
  url: string;
  format: 'native' | 'ocsf' | 'cloudevents';
  events: ApiEvent[];
  /** `events` in the destination's format (native, OCSF or CloudEvents), same order. */
  items: Record<string, unknown>[];
  /** The current credential first; while a webhook secret rotates, the previous one too. */
  secrets: string[];
  /** Content type and user agent, set already; add the receiver's own. */
  headers: Record<string, string>;
  now: number;
  deliveryId: string;
  replay: boolean;
  test: boolean;
  /** `Audit-Signature` for a body, signed with every active secret (HMAC-SHA256; provided by the sender). */
  sign: (body: string) => string;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * One receiver type, whole: the API's schema, the service's secret handling,
 * the worker's requests and the console's form are all derived from this.
 * A spec imports nothing that needs Node, so the console can read it.
 */
export interface DestinationTypeSpec<T extends string = string> {
  type: T;
  /** What people call it (console, docs). */
  label: string;
  /** Where the receiver listens when the destination names no URL; absent: a URL is required. */
  defaultUrl?: string;
  /** A URL of the right shape, for the console's placeholder. */
  exampleUrl: string;
  /** Most events one request may carry. */
  batchLimit: number;
  /** Whether the payload format (native, OCSF, CloudEvents) is the destination's choice; false: the type has its own shape. */
  takesFormat: boolean;
  /**
   * The credential it takes: which request field, what the console calls it,
   * whether it may be left out. `generated`: left out, we make one and show it
   * once; `overlap`: a rotated secret keeps signing for a while.
   */
  credential: { field: CredentialField; label: string; required: boolean; generated?: boolean; overlap?: boolean } | null;
  /** The URL is itself a secret (it carries a token): how it is shown, masked. Absent: shown as it is. */
  maskUrl?: (url: string) => string;
  /** The HTTP request that carries a batch to this receiver. */
  buildRequest: (ctx: RequestContext) => OutgoingRequest;
}

/** Type-checks a spec literal while keeping its `type` a literal. */
export const defineDestinationType = <T extends string>(spec: DestinationTypeSpec<T>): DestinationTypeSpec<T> => spec;
