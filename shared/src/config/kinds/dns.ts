import { Type, type Static } from '@sinclair/typebox';
import { IPV4_PATTERN, Ipv4, Strict } from './common.js';

const PORT_NUMBER = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const Nameserver = Type.String({
  pattern: `^${IPV4_PATTERN}(:${PORT_NUMBER})?$`,
  expected: 'an IPv4 address with an optional port, such as "10.0.0.53:53" (octets 0-255, port 1-65535)',
});
const Zone = Type.String({ pattern: '^[0-9a-zA-Z\\.-]+$', expected: 'a DNS zone such as "corp.example.com"' });
const TransportProtocolMode = Type.Union([Type.Literal('PreferUDP'), Type.Literal('ForceTCP'), Type.Literal('KeepOriginal')]);

export const DnsSettingsSpec = Strict({
  upstreamNameservers: Type.Optional(Type.Array(Nameserver)),
  transportProtocolMode: Type.Optional(TransportProtocolMode),
  hosts: Type.Optional(
    Type.Array(Strict({ domain: Zone, ip: Ipv4 })),
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
