export * from './catalog';
export * from './cursor';
export * from './event.schema';
export * from './ids';
export * from './ip';
export * from './normalize';
export * from './problem';
export * from './redact';
