import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState } from '@netfleet/shared/protocol/links';
import { LinkPresence, deriveLinkState, type LinkStateContext } from './link-state.js';

const now = new Date('2026-11-26T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

const context: LinkStateContext = { localClusterDomain: 'eu-1.cluster', localPublicDomain: 'eu-1.example.com', managed: true, now };

const publicCache = { clusterUUID: 'uuid-eu-2', rootCA: '-----BEGIN CERTIFICATE-----', authnKeyPub: 'ed25519' };
const gateways = [{ address: '203.0.113.10', port: 15443 }];
const federationPrivate = { ingressGateways: gateways, publicServices: [{ hostname: 'api.shop.svc.eu-2.cluster', ports: [{ name: 'http', port: 80 }] }] };
const multiclusterPrivate = { apiHost: 'istio-api-proxy.eu-2.example.com', networkName: 'network-eu-2', ingressGateways: gateways, ca: 'ca' };

interface Shape {
  status?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  createdMinutesAgo?: number;
}

function link(kind: LinkKind, shape: Shape = {}): KubeObject {
  const baseSpec = kind === LinkKind.Federation
    ? { metadataEndpoint: 'https://istio.eu-2.example.com/metadata/', trustDomain: 'eu-2.cluster' }
    : { metadataEndpoint: 'https://istio.eu-2.example.com/metadata/', enableIngressGateway: true };
  return {
    apiVersion: 'deckhouse.io/v1alpha1',
    kind: kind === LinkKind.Federation ? 'IstioFederation' : 'IstioMulticluster',
    metadata: { name: 'eu-2', creationTimestamp: minutesAgo(shape.createdMinutesAgo ?? 60) },
    spec: { ...baseSpec, ...shape.spec },
    ...(shape.status ? { status: shape.status } : {}),
  };
}

/** The older status form: metadata cache plus fetch timestamps. */
function cache(parts: { public?: object; private?: object; publicAge?: number; privateAge?: number }) {
  return {
    metadataCache: {
      ...(parts.public ? { public: parts.public } : {}),
      ...(parts.private ? { private: parts.private } : {}),
      ...(parts.publicAge !== undefined ? { publicLastFetchTimestamp: minutesAgo(parts.publicAge) } : {}),
      ...(parts.privateAge !== undefined ? { privateLastFetchTimestamp: minutesAgo(parts.privateAge) } : {}),
    },
  };
}

const fresh = (privateCache: object) => cache({ public: publicCache, private: privateCache, publicAge: 0.5, privateAge: 0.5 });

function condition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, probeMinutesAgo = 0.5) {
  return { type, status, reason, message: `${reason} message`, lastTransitionTime: minutesAgo(30), lastProbeTime: minutesAgo(probeMinutesAgo) };
}

const publicOk = condition('PublicMetadataExchangeReady', 'True', 'Succeeded');
const privateOk = condition('PrivateMetadataExchangeReady', 'True', 'Succeeded');
const apiOk = condition('RemoteAPIServerReady', 'True', 'RemoteAPIReachable');
const dataplaneOk = condition('DataplaneConnectionReady', 'True', 'Succeeded');

/** The newer status form: conditions, with the cache DKP keeps beside them. */
function conditions(list: object[], metadataCache: object = {}) {
  return { conditions: list, metadataCache };
}

const F = LinkKind.Federation;
const M = LinkKind.Multicluster;

describe('when the status has only the metadata cache and fetch timestamps', () => {
  it.each([
    ['a fresh complete federation', F, { status: fresh(federationPrivate) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['a fresh complete multicluster', M, { status: fresh(multiclusterPrivate) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['a cache whose hook revision stopped stamping times', F, { status: { metadataCache: { public: publicCache, private: federationPrivate } } }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['a multicluster without gateways that does not use them', M, { spec: { enableIngressGateway: false }, status: fresh({ ...multiclusterPrivate, ingressGateways: [] }) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['unknown status fields beside a fresh cache', F, { status: { ...fresh(federationPrivate), observedGeneration: 3, extra: { nested: [1, 2] } } }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['no status on a resource created a minute ago', F, { createdMinutesAgo: 1 }, LinkState.Pending, LinkReason.AwaitingFirstExchange],
    ['no status an hour after creation', F, {}, LinkState.Unreachable, LinkReason.NeverFetched],
    ['an empty metadata cache', M, { status: { metadataCache: {} } }, LinkState.Unreachable, LinkReason.NeverFetched],
    ['public fetched and private never', F, { status: cache({ public: publicCache, publicAge: 0.5 }) }, LinkState.OneSided, LinkReason.PrivateMetadataRefused],
    ['public fetched and private never, for multicluster', M, { status: cache({ public: publicCache, publicAge: 0.5 }) }, LinkState.OneSided, LinkReason.PrivateMetadataRefused],
    ['a public fetch 10 minutes old', F, { status: cache({ public: publicCache, private: federationPrivate, publicAge: 10, privateAge: 10 }) }, LinkState.Stale, LinkReason.PublicMetadataStale],
    ['a private fetch 10 minutes old', M, { status: cache({ public: publicCache, private: multiclusterPrivate, publicAge: 0.5, privateAge: 10 }) }, LinkState.Stale, LinkReason.PrivateMetadataStale],
    ['a federation whose peer lists no gateways', F, { status: fresh({ ...federationPrivate, ingressGateways: [] }) }, LinkState.Incomplete, LinkReason.MissingIngressGateways],
    ['a federation whose peer has no publicServices', F, { status: fresh({ ingressGateways: gateways }) }, LinkState.Incomplete, LinkReason.MissingPublicServices],
    ['a multicluster without apiHost', M, { status: fresh({ ...multiclusterPrivate, apiHost: '' }) }, LinkState.Incomplete, LinkReason.MissingAPIHost],
    ['a multicluster without networkName', M, { status: fresh({ apiHost: 'h', ingressGateways: gateways }) }, LinkState.Incomplete, LinkReason.MissingNetworkName],
    ['a multicluster using gateways whose peer lists none', M, { status: fresh({ ...multiclusterPrivate, ingressGateways: [] }) }, LinkState.Incomplete, LinkReason.MissingIngressGateways],
    ['a federation trusting the local clusterDomain', F, { spec: { trustDomain: 'eu-1.cluster' }, status: fresh(federationPrivate) }, LinkState.Misconfigured, LinkReason.TrustDomainIsLocal],
    ['a multicluster pointing at this cluster', M, { spec: { metadataEndpoint: 'https://istio.eu-1.example.com/metadata/' } }, LinkState.Misconfigured, LinkReason.PointsAtSelf],
    ['an endpoint that is not a URL', F, { spec: { metadataEndpoint: 'istio.eu-2.example.com' } }, LinkState.Misconfigured, LinkReason.InvalidMetadataEndpoint],
  ])('reads %s as %s', (_name, kind, shape, state, reason) => {
    const observation = deriveLinkState(kind, link(kind, shape), context);
    expect({ state: observation.state, reason: observation.reason }).toEqual({ state, reason });
    expect(observation.message).not.toBe('');
  });

  it.each([
    ['not served', LinkPresence.KindNotServed, LinkState.ModuleNotEnabled, LinkReason.KindNotServed],
    ['declared but absent', LinkPresence.Absent, LinkState.Missing, LinkReason.ResourceAbsent],
  ])('reads a link whose kind is %s from its presence', (_name, presence, state, reason) => {
    const observation = deriveLinkState(F, link(F, { status: fresh(federationPrivate) }), { ...context, presence });
    expect([observation.state, observation.reason]).toEqual([state, reason]);
  });

  it('honours a configured staleness threshold', () => {
    const object = link(F, { status: cache({ public: publicCache, private: federationPrivate, publicAge: 2, privateAge: 2 }) });
    expect(deriveLinkState(F, object, context).state).toBe(LinkState.Healthy);
    expect(deriveLinkState(F, object, { ...context, staleAfterMs: 60_000 }).state).toBe(LinkState.Stale);
  });

  it('reports the peer domain, the cached identity and the last exchange', () => {
    const observation = deriveLinkState(F, link(F, { status: cache({ public: publicCache, private: federationPrivate, publicAge: 0.5, privateAge: 2 }) }), context);
    expect(observation).toMatchObject({
      kind: F, name: 'eu-2', managed: true, peerDomain: 'eu-2.example.com',
      metadataEndpoint: 'https://istio.eu-2.example.com/metadata/',
      cachedClusterUUID: 'uuid-eu-2', lastExchangeAt: minutesAgo(0.5),
    });
  });
});

describe('when the status has conditions', () => {
  const all = [publicOk, privateOk, dataplaneOk];
  const allMc = [publicOk, privateOk, apiOk, dataplaneOk];
  it.each([
    ['all conditions True', F, { status: conditions(all, { public: publicCache, private: federationPrivate }) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['all conditions True for multicluster', M, { status: conditions(allMc, { public: publicCache, private: multiclusterPrivate }) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['a data-plane check with no verdict yet', F, { status: conditions([publicOk, privateOk, condition('DataplaneConnectionReady', 'Unknown', 'MetadataUnavailable')]) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['unknown condition types and fields', F, { status: { ...conditions([...all, condition('SomethingNew', 'False', 'Whatever')]), futureField: { a: 1 } } }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['True conditions with timestamps 10 minutes old beside them', F, { status: conditions(all, { public: publicCache, private: federationPrivate, publicLastFetchTimestamp: minutesAgo(10) }) }, LinkState.Healthy, LinkReason.ExchangeSucceeded],
    ['private awaiting public', F, { status: conditions([publicOk, condition('PrivateMetadataExchangeReady', 'Unknown', 'AwaitingPublic')]) }, LinkState.Pending, LinkReason.AwaitingFirstExchange],
    ['a failed public fetch on a new resource', F, { createdMinutesAgo: 1, status: conditions([condition('PublicMetadataExchangeReady', 'False', 'FetchFailed')]) }, LinkState.Pending, LinkReason.AwaitingFirstExchange],
    ['remote API awaiting private', M, { status: conditions([publicOk, privateOk, condition('RemoteAPIServerReady', 'Unknown', 'AwaitingPrivate')]) }, LinkState.Pending, LinkReason.AwaitingFirstExchange],
    ['a failed public fetch and no cache', F, { status: conditions([condition('PublicMetadataExchangeReady', 'False', 'FetchFailed'), condition('PrivateMetadataExchangeReady', 'Unknown', 'AwaitingPublic')]) }, LinkState.Unreachable, LinkReason.NeverFetched],
    ['invalid public JSON and no cache', M, { status: conditions([condition('PublicMetadataExchangeReady', 'False', 'InvalidJSON')]) }, LinkState.Unreachable, LinkReason.NeverFetched],
    ['a failed public fetch over a cache', F, { status: conditions([condition('PublicMetadataExchangeReady', 'False', 'NonOKResponse'), privateOk], { public: publicCache, private: federationPrivate }) }, LinkState.Stale, LinkReason.PublicMetadataStale],
    ['a failed private fetch over a cache', M, { status: conditions([publicOk, condition('PrivateMetadataExchangeReady', 'False', 'FetchFailed')], { public: publicCache, private: multiclusterPrivate }) }, LinkState.Stale, LinkReason.PrivateMetadataStale],
    ['True conditions last probed 10 minutes ago', F, { status: conditions([condition('PublicMetadataExchangeReady', 'True', 'Succeeded', 10), condition('PrivateMetadataExchangeReady', 'True', 'Succeeded', 10)]) }, LinkState.Stale, LinkReason.StatusNotRefreshed],
    ['a refused private fetch and no private cache', F, { status: conditions([publicOk, condition('PrivateMetadataExchangeReady', 'False', 'NonOKResponse')], { public: publicCache }) }, LinkState.OneSided, LinkReason.PrivateMetadataRefused],
    ['private missing ingress gateways', M, { status: conditions([publicOk, condition('PrivateMetadataExchangeReady', 'False', 'MissingIngressGateways')]) }, LinkState.Incomplete, LinkReason.MissingIngressGateways],
    ['remote API missing its host', M, { status: conditions([publicOk, privateOk, condition('RemoteAPIServerReady', 'False', 'MissingAPIHost')]) }, LinkState.Incomplete, LinkReason.MissingAPIHost],
    ['True conditions over an incomplete federation cache', F, { status: conditions(all, { public: publicCache, private: { ingressGateways: [] , publicServices: [] } }) }, LinkState.Incomplete, LinkReason.MissingIngressGateways],
    ['a token that cannot be signed', F, { status: conditions([publicOk, condition('PrivateMetadataExchangeReady', 'False', 'TokenGenerationFailed')]) }, LinkState.Misconfigured, LinkReason.TokenGenerationFailed],
    ['a data-plane check misconfigured', F, { status: conditions([publicOk, privateOk, condition('DataplaneConnectionReady', 'False', 'ConfigurationError')]) }, LinkState.Misconfigured, LinkReason.DataplaneConfigurationError],
    ['a federation trusting the local clusterDomain', F, { spec: { trustDomain: 'eu-1.cluster' }, status: conditions(all) }, LinkState.Misconfigured, LinkReason.TrustDomainIsLocal],
    ['a failing data-plane probe', F, { status: conditions([publicOk, privateOk, condition('DataplaneConnectionReady', 'False', 'ProbeFailed')]) }, LinkState.Degraded, LinkReason.DataplaneProbeFailed],
    ['an unreachable remote API', M, { status: conditions([publicOk, privateOk, condition('RemoteAPIServerReady', 'False', 'RemoteAPIUnreachable'), dataplaneOk]) }, LinkState.Degraded, LinkReason.RemoteAPIUnreachable],
  ])('reads %s as %s', (_name, kind, shape, state, reason) => {
    const observation = deriveLinkState(kind, link(kind, shape), context);
    expect({ state: observation.state, reason: observation.reason }).toEqual({ state, reason });
  });

  it.each([
    ['not served', LinkPresence.KindNotServed, LinkState.ModuleNotEnabled],
    ['declared but absent', LinkPresence.Absent, LinkState.Missing],
  ])('reads a link whose kind is %s from its presence, whatever the conditions say', (_name, presence, state) => {
    expect(deriveLinkState(M, link(M, { status: conditions(allMc) }), { ...context, presence }).state).toBe(state);
  });

  it('carries the DKP reason and message of the failing condition', () => {
    const failing = { ...condition('PublicMetadataExchangeReady', 'False', 'NonOKResponse'), message: 'HTTP 503 from istio.eu-2.example.com' };
    const observation = deriveLinkState(F, link(F, { status: conditions([failing]) }), context);
    expect(observation.upstreamReason).toBe('NonOKResponse');
    expect(observation.message).toContain('HTTP 503 from istio.eu-2.example.com');
  });
});
