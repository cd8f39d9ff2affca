/**
 * What the console may take from the domain: contracts and registries that
 * import nothing of Node's. (The package's main entry also holds Merkle
 * trees, signatures and redaction, which need node:crypto.)
 */
export * from './destinations';
export * from './access';
export * from './contracts';
export type { ApiEvent, EventSource } from './normalize';
