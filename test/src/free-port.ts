import { createServer } from 'node:net';

/**
 * A loopback TCP port nothing listens on right now, picked by the kernel.
 * The port is released before returning, so a child process can bind it.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
