import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './common.js';

const Nameserver = Type.String({
  pattern: '^[0-9]{1,}\\.[0-9]{1,}\\.[0-9]{1,}\\.[0-9]{1,}(:[0-9]{1,})?$',
  expected: 'an IPv4 address with an optional port, such as "10.0.0.53:53"',
});
const Zone = Type.String({ pattern: '^[0-9a-zA-Z\\.-]+$', expected: 'a DNS zone such as "corp.example.com"' });
const TransportProtocolMode = Type.Union([Type.Literal('PreferUDP'), Type.Literal('ForceTCP'), Type.Literal('KeepOriginal')]);

export const DnsSettingsSpec = Strict({
  upstreamNameservers: Type.Optional(Type.Array(Nameserver)),
  transportProtocolMode: Type.Optional(TransportProtocolMode),
  hosts: Type.Optional(
    Type.Array(Strict({ domain: Zone, ip: Type.String({ pattern: '^[0-9]{1,}\\.[0-9]{1,}\\.[0-9]{1,}\\.[0-9]{1,}$', expected: 'an IPv4 address' }) })),
  ),
  stubZones: Type.Optional(
    Type.Array(
      Strict({
        zone: Zone,
        upstreamNameservers: Type.Array(Nameserver, { minItems: 1 }),
        cacheTTLSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        transportProtocolMode: Type.Optional(TransportProtocolMode),
      }),
    ),
  ),
  clusterDomainAliases: Type.Optional(Type.Array(Zone)),
  enableLogs: Type.Optional(Type.Boolean()),
  nodeLocalDNS: Type.Optional(Type.Boolean({ description: 'Turn the node-local-dns cache module on or off.' })),
});
export type DnsSettingsSpec = Static<typeof DnsSettingsSpec>;
