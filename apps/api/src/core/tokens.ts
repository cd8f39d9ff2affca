export const CONFIG = Symbol('CONFIG');
export const REDIS = Symbol('REDIS');

/** BullMQ's connection (a cluster client on a cluster), closed at shutdown. */
export const BULL_CONNECTION = Symbol('BULL_CONNECTION');
