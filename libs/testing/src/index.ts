export * from './db';
export * from './http';
export * from './processes';
export * from './tenants';
export * from './integrity';
export * from './exports';
export * from './receivers';
export * from './smtp';
