export * from './run-retention';
