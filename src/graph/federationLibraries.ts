import { lazyRequire } from '../lazyRequire.ts';

/** Apollo's federation internals (supergraph parsing), loaded only where a supergraph is read. */
export const federationInternals = lazyRequire<typeof import('@apollo/federation-internals')>('@apollo/federation-internals');

/** Apollo's composition, loaded on the first composition (fetch by @key, the search subgraph). */
export const composition = lazyRequire<typeof import('@apollo/composition')>('@apollo/composition');
