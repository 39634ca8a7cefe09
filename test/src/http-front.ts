import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A small HTTP server in front of another, for redirect and proxy tests. */
export interface HttpFront {
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  readonly port: number;
  /**
   * What it saw: `CONNECT host:port` for tunnels, `GET http://...` for absolute-form
   * proxy requests, `GET /path` for redirects; with the Authorization header it carried.
   */
  readonly requests: readonly { line: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/** Answer every request with `status` and a Location built from its path and query. */
export async function startRedirectFront(location: (pathAndQuery: string) => string, status = 301): Promise<HttpFront> {
  return startFront((req, res) => {
    req.resume();
    res.writeHead(status, { Location: location(req.url ?? '/'), 'Content-Type': 'text/plain' }).end('moved\n');
  });
}

/**
 * An HTTP proxy as corporate egress runs one: `CONNECT host:port` opens a TCP tunnel (for
 * https), and absolute-form requests (`GET http://host/path`) are forwarded (for http).
 */
export async function startConnectProxy(): Promise<HttpFront> {
  const front = await startFront((req, res) => forward(req, res));
  return front;
}

async function startFront(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpFront> {
  const requests: { line: string; authorization: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push({ line: `${req.method} ${req.url}`, authorization: req.headers.authorization });
    handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    requests.push({ line: `CONNECT ${req.url}`, authorization: req.headers.authorization });
    const [host = '', port = ''] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}

function forward(req: IncomingMessage, res: ServerResponse): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end('a proxy takes absolute-form requests\n');
    return;
  }
  const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end('bad gateway\n'));
  req.pipe(upstream);
}
