export { LinkPresence, LinkCondition, DEFAULT_STALE_AFTER_MS, deriveLinkState, linkKindOf, peerDomainOf, type LinkStateContext } from './link-state.js';
export { MetadataProber, defaultProbeOptions, publicMetadataUrl, type ConnectTarget, type ProbeOptions, type ProbeTarget } from './probe.js';
export {
  LINK_API_VERSION, LinkMonitor, declaredLinkObjects, kubeLinkSource,
  type LinkCheckResult, type LinkMonitorOptions, type LinkSource,
} from './link-monitor.js';
export { LinkMetrics } from './metrics.js';
