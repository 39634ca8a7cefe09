import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';

/**
 * A DKP peer's metadata endpoint (`https://istio.<domain>/metadata/`) for tests: an HTTPS
 * server on a loopback address, with a certificate for `istio.<domain>` signed by a test
 * CA. Clients reach it through a host → address:port override with the TLS server name set
 * to the real host name, as the link prober's `connectTo` option does.
 */

/** A certificate authority that signs the peers' serving certificates. */
export interface TestCa {
  /** PEM certificate: the bundle a client trusts. */
  cert: string;
  /** PEM private key. */
  key: string;
}

export async function createTestCa(name = 'netfleet test CA'): Promise<TestCa> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 3650 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface MetadataPeerOptions {
  /** The peer's public domain; the server answers as `istio.<domain>`. */
  domain: string;
  /** Signs the serving certificate. */
  ca: TestCa;
  /**
   * Loopback address to listen on (any 127.0.0.0/8 address works on Linux).
   * @defaultValue '127.0.0.1'
   */
  address?: string;
  /** @defaultValue `uuid-<domain>` */
  clusterUUID?: string;
  /**
   * Days until the serving certificate expires; negative for one that expired that many days ago.
   * @defaultValue 365
   */
  certificateValidDays?: number;
  /**
   * What `public/public.json` serves: valid metadata, or a body that is not JSON.
   * @defaultValue 'healthy'
   */
  mode?: 'healthy' | 'invalid-json';
}

export interface MetadataPeer {
  /** `istio.<domain>`. */
  readonly hostname: string;
  readonly domain: string;
  readonly address: string;
  readonly port: number;
  /** The resource's `spec.metadataEndpoint`: `https://istio.<domain>/metadata/`. */
  readonly metadataEndpoint: string;
  /** The serving certificate's expiry. */
  readonly certificateExpiresAt: Date;
  /** Requests served so far. */
  readonly requests: number;
  clusterUUID: string;
  mode: 'healthy' | 'invalid-json';
  /** Stop listening and drop open connections: the peer is down. */
  stop(): Promise<void>;
  /** Listen again on the same address and port. */
  start(): Promise<void>;
}

/** Start a metadata endpoint; stop it in `afterEach`/`afterAll`. */
export async function startMetadataPeer(options: MetadataPeerOptions): Promise<MetadataPeer> {
  const hostname = `istio.${options.domain}`;
  const address = options.address ?? '127.0.0.1';
  const notAfter = new Date(Date.now() + (options.certificateValidDays ?? 365) * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Math.min(Date.now(), notAfter.getTime()) - 86_400_000),
    notAfterDate: notAfter,
    ca: options.ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }] },
    ],
  });

  let requests = 0;
  const sockets = new Set<Socket>();
  const peer = {
    hostname,
    domain: options.domain,
    address,
    port: 0,
    metadataEndpoint: `https://${hostname}/metadata/`,
    certificateExpiresAt: notAfter,
    get requests() {
      return requests;
    },
    clusterUUID: options.clusterUUID ?? `uuid-${options.domain}`,
    mode: options.mode ?? 'healthy',
    stop,
    start,
  };

  let server: Server | undefined;

  function createPeerServer(): Server {
    const created = createServer({ cert: pems.cert, key: pems.private }, (request, response) => {
      requests += 1;
      if (request.url !== '/metadata/public/public.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(peer.mode === 'invalid-json'
        ? '<html>502 Bad Gateway</html>'
        : JSON.stringify({ clusterUUID: peer.clusterUUID, rootCA: options.ca.cert, authnKeyPub: `key-of-${peer.clusterUUID}` }));
    });
    created.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return created;
  }

  async function start(): Promise<void> {
    if (server) return;
    const next = createPeerServer();
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(peer.port, address, () => resolve());
    });
    peer.port = (next.address() as AddressInfo).port;
    server = next;
  }

  async function stop(): Promise<void> {
    const running = server;
    server = undefined;
    if (!running) return;
    const closed = new Promise<void>((resolve) => running.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  await start();
  return peer;
}
