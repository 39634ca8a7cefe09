export * from './constants.js';
export * from './schemas.js';
export * from './signing.js';
export * from './validate.js';
export * from './secrets.js';
export * from './links.js';
export * from './rollout.js';
export * from './report-transport.js';
