export * from './objects.js';
export * from './changeset.js';
export * from './errors.js';
export * from './log.js';
export * from './repo-reader.js';
export * from './reasons.js';
export * from './drift.js';
export * from './protocol/index.js';
