export * from './event.repository';
export * from './partitions';
export * from './tenant-actions.repository';
