export * from './database';
export * from './entities';
export * from './migrate';
export * from './orm.config';
export * from './cursor';
export * from './repositories';
export * from './tenant-orm';
export * from './replicas';
