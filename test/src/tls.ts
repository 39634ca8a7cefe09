import { generate } from 'selfsigned';

/**
 * A self-signed certificate for `localhost` and 127.0.0.1, for test servers that speak
 * HTTPS; clients trust its `cert` as their CA bundle.
 */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const result = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: result.private, cert: result.cert };
}
