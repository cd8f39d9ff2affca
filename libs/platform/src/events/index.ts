export * from './event-writer';
export * from './event.repository';
export * from './partitions';
export * from './system-event';
export * from './tenant-actions.repository';
