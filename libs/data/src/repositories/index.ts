export * from './event.repository';
export * from './partitions';
export * from './tenant-actions.repository';
export * from './credentials.repository';
export * from './stripe-events.repository';
export * from './exports.repository';
export * from './integrity.repository';
export * from './directory.repository';
