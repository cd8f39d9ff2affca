export * from './events';
export * from './exports';
export * from './forwarding';
export * from './integrity';
export * from './retention';
