export { loadFleet, MANIFESTS_DIR } from './load.js';
export { ConfigError, ProblemCode, UnknownClusterError, formatProblem, type ConfigProblem } from './errors.js';
export { defaultLoadOptions, type LoadOptions } from './options.js';
export { selects } from './selectors.js';
export { parseDuration } from './rollout.js';
export { KINDS, KIND_NAMES, API_VERSION, type KindName, type DocumentOf, type ClusterSelector } from './kinds/index.js';
export { generateSchemaFiles } from './schema-files.js';
export type * from './model.js';
export { DEFAULT_APPLY_POLICY } from './model.js';
