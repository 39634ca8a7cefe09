import { describe, expect, it } from 'vitest';
import { LinkFindingType, type LinkFinding } from '@netfleet/shared/protocol/links';
import { analysePartitions, linkKey, withoutCovered, type LinkHealth } from '../../src/links/partitions.js';

const regionOf = new Map([
  ['eu-1', 'eu'], ['eu-2', 'eu'], ['us-1', 'us'], ['us-2', 'us'], ['ap-1', 'ap'], ['ap-2', 'ap'],
]);
const clusters = [...regionOf.keys()];
const groups = ['fed', 'mc'];

type Cut = (link: { group: string; from: string; to: string }) => boolean;

/** Both groups span all six clusters; `cut` says which links fail. */
function fleet(cut: Cut): LinkHealth[] {
  return groups.flatMap((group) => clusters.flatMap((from) => clusters
    .filter((to) => to !== from)
    .map((to) => ({ group, from, to, failed: cut({ group, from, to }) }))));
}

const region = (cluster: string) => regionOf.get(cluster);
const nothing: Cut = () => false;
const intoEu: Cut = ({ from, to }) => region(to) === 'eu' && region(from) !== 'eu';
const euBothWays: Cut = ({ from, to }) => (region(to) === 'eu') !== (region(from) === 'eu');
const fromUs2: Cut = ({ from }) => from === 'us-2';
const intoAp1: Cut = ({ to }) => to === 'ap-1';
const oneLink: Cut = ({ from, to }) => from === 'eu-1' && to === 'us-1';
const federationIntoEu: Cut = (link) => link.group === 'fed' && intoEu(link);
const intoEuFromOnePeer: Cut = ({ from, to }) => from === 'us-1' && region(to) === 'eu';
const fromUs2ToThree: Cut = ({ from, to }) => from === 'us-2' && ['eu-1', 'eu-2', 'ap-1'].includes(to);

describe('analysePartitions', () => {
  it.each([
    ['every link healthy', nothing, [], 0],
    ['every link into region eu cut', intoEu, ['region eu unreachable from 4 clusters'], 16],
    ['region eu cut off both ways', euBothWays, ['region eu isolated: cannot reach 4 clusters and unreachable from 4 clusters'], 32],
    ['every link out of us-2 failing', fromUs2, ['cluster us-2 cannot reach any peer'], 10],
    ['every link into ap-1 failing', intoAp1, ['cluster ap-1 unreachable from 5 clusters'], 10],
    ['us-2 failing to reach 3 of its 5 peers', fromUs2ToThree, ['cluster us-2 cannot reach 3 of 5 peers'], 6],
    ['one failing link', oneLink, [], 0],
    ['federation into eu failing while multicluster works', federationIntoEu, [], 0],
    ['links into eu failing from one peer only', intoEuFromOnePeer, [], 0],
  ])('with %s names %j covering %i links', (_name, cut, messages, coveredCount) => {
    const links = fleet(cut);
    const analysis = analysePartitions(links, regionOf);
    expect(analysis.findings.map((finding) => finding.message)).toEqual(messages);
    expect(analysis.covered.size).toBe(coveredCount);
    for (const link of links) {
      if (analysis.covered.has(linkKey(link.group, link.from, link.to))) expect(link.failed).toBe(true);
    }
  });

  it('lists the peers on the other side and a stable id', () => {
    const [finding] = analysePartitions(fleet(intoEu), regionOf).findings;
    expect(finding).toMatchObject({
      id: 'partition:region:eu:inbound', scope: 'region', subject: 'eu', direction: 'inbound',
      peers: ['ap-1', 'ap-2', 'us-1', 'us-2'], linkCount: 16,
    });
  });

  it('names the cut-off side when failures could be read from either end, and honours minPeers', () => {
    const links = fleet(({ from, to }) => region(to) === 'eu' && region(from) === 'us');
    expect(analysePartitions(links, regionOf).findings.map((finding) => finding.message)).toEqual(['region eu unreachable from 2 clusters']);
    expect(analysePartitions(links, regionOf, { minPeers: 3 }).findings).toEqual([]);
  });
});

describe('withoutCovered', () => {
  const finding = (type: LinkFindingType, from: string, to: string): LinkFinding => ({
    id: `${type}:fed:${from}:${to}`, type, group: 'fed', clusters: [from, to], links: [{ from, to }], message: '',
  });

  it.each([
    ['a stale link into the cut region', finding(LinkFindingType.Stale, 'us-1', 'eu-1'), false],
    ['an asymmetric pair across the cut', { ...finding(LinkFindingType.Asymmetric, 'eu-1', 'us-1'), links: [{ from: 'eu-1', to: 'us-1' }, { from: 'us-1', to: 'eu-1' }] }, false],
    ['a stale link elsewhere', finding(LinkFindingType.Stale, 'us-1', 'ap-1'), true],
    ['an expiring certificate in the cut region', finding(LinkFindingType.CertificateExpiring, 'us-1', 'eu-1'), true],
    ['a missing resource in the cut region', finding(LinkFindingType.MissingOnOneSide, 'us-1', 'eu-1'), true],
  ])('keeps %s: %s', (_name, item, kept) => {
    const { covered } = analysePartitions(fleet(intoEu), regionOf);
    expect(withoutCovered([item], covered)).toHaveLength(kept ? 1 : 0);
  });
});
