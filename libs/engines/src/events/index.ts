export * from './event-writer';
export * from './system-event';
