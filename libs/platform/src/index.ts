export * from './config';
export * from './database';
export * from './entities';
export * from './events';
export * from './migrate';
export * from './orm.config';
export * from './queues';
export * from './exports';
