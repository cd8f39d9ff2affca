export * from './deliver';
export * from './safe-http';
export * from './secret-box';
