export * from './database';
export * from './entities';
export * from './migrate';
export * from './orm.config';
export * from './repositories';
export * from './tenant-orm';
