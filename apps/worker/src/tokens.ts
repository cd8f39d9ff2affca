export const CONFIG = Symbol('CONFIG');
export const RETENTION_DB = Symbol('RETENTION_DB');
export const SIGNING_KEY = Symbol('SIGNING_KEY');
/** The read replicas (DATABASE_REPLICA_URLS), or null without any. */
export const REPLICAS = Symbol('REPLICAS');
