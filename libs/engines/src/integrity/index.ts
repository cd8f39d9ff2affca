export * from './sealer';
export * from './signing';
export * from './verify';
export { checkPairs, type PairsResult } from './verify-pairs';
