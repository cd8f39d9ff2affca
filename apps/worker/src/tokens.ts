export const CONFIG = Symbol('CONFIG');
export const RETENTION_DB = Symbol('RETENTION_DB');
