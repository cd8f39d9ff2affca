export * from './audit-writer';
export * from './event-writer';
