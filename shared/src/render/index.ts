export { render, renderClusterFromRepository, renderFleet, renderRepository, validateRepository } from './render.js';
export { contentHash, setHash } from './hash.js';
export { sortForApply } from './order.js';
export { MODULE_CONFIG_VERSIONS } from './compile/module-config.js';
export { metadataEndpoint } from './compile/mesh.js';
export { checkRenderedAgainstCrds, objectProblem } from './object-problems.js';
