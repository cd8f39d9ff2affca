export * from './sealer';
export * from './signing';
export * from './verify';
