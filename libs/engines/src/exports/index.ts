export * from './run-export';
export * from './storage';
export * from './download-token';
export * from './sweep';
