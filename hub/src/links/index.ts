export {
  composeTopology, expectedLinks, linkTopology,
  type ExpectedMeshGroup, type FleetTopologyInput, type InventoryClusterInput, type LinkTopology, type MeshGroupInput,
} from './expected-links.js';
export { LinkMatrix, defaultLinkMatrixOptions, isReachabilityFailure, type LinkMatrixOptions } from './matrix.js';
export {
  analysePairGraph, analysePartitions, defaultPartitionOptions, linkKey, withoutCovered,
  type LinkHealth, type PairGraph, type PartitionAnalysis, type PartitionOptions,
} from './partitions.js';
export { FleetLinks, type FleetLinksOptions, type LinkAlertChanges } from './fleet-links.js';
export { registerLinkMetrics } from './metrics.js';
export { loadLinkReports } from './restore.js';
export { RevisionTopologies, type FleetLoader, type RevisionTopologiesOptions } from './revision-topologies.js';
export { LinkService, type LinkServiceOptions } from './link-service.js';
