/**
 * The wire contract of crypto-checkout: zod schemas and inferred types shared by the backend and the
 * element. Import types only from browser code so that zod stays out of the bundle.
 * @module
 */
export * from './errors.js';
export * from './paging.js';
export * from './query.js';
export * from './rates.js';
export * from './session.js';
export * from './session-list.js';
export * from './status.js';
export * from './statuses.js';
export * from './stream.js';
export * from './treasury.js';
export * from './webhook.js';
