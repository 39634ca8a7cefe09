/** Kubeconfig files and client-node KubeConfig objects for the test server, and its TLS material. */
import { generate } from 'selfsigned';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface ServerCertificates {
  /** PEM of the self-signed CA clients trust. */
  ca: string;
  cert: string;
  key: string;
}

let certificates: Promise<ServerCertificates> | undefined;

/** A CA and a serving certificate for 127.0.0.1/localhost, generated once per process. */
export function serverCertificates(): Promise<ServerCertificates> {
  certificates ??= (async () => {
    const notAfterDate = new Date(Date.now() + 24 * 3600 * 1000);
    const ca = await generate([{ name: 'commonName', value: 'netfleet-test-ca' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate,
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
    });
    const server = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate, ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
        { name: 'extKeyUsage', serverAuth: true },
      ],
    });
    return { ca: ca.cert, cert: server.cert, key: server.private };
  })();
  return certificates;
}

const CLUSTER = 'netfleet-test';

/** The kubeconfig document for one server; each token becomes a user and a context. */
export function kubeconfigDocument(url: string, tokens: string[], currentUser: string, ca: string | undefined): Record<string, unknown> {
  const cluster: Record<string, unknown> = { server: url };
  // client-node refuses plain http unless TLS verification is marked as skipped.
  if (ca) cluster['certificate-authority-data'] = Buffer.from(ca).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER, cluster }],
    users: tokens.map((token) => ({ name: token, user: { token } })),
    contexts: tokens.map((token) => ({ name: `${token}@${CLUSTER}`, context: { cluster: CLUSTER, user: token } })),
    'current-context': `${currentUser}@${CLUSTER}`,
    preferences: {},
  };
}

export function kubeconfigYaml(document: Record<string, unknown>): string {
  return stringify(document);
}

/** A client-node KubeConfig for one user of the server. */
export function clientConfig(url: string, token: string, ca: string | undefined): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: CLUSTER, server: url, skipTLSVerify: !ca, ...(ca ? { caData: Buffer.from(ca).toString('base64') } : {}) }],
    users: [{ name: token, token }],
    contexts: [{ name: `${token}@${CLUSTER}`, cluster: CLUSTER, user: token }],
    currentContext: `${token}@${CLUSTER}`,
  });
  return config;
}
