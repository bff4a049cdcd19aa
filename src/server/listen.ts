import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** The API could not listen where it was told to; the message is one line an operator can act on. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    message: string,
    /** the system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL…) */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** `host:port` as people write it (IPv6 in brackets). */
export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function describeListenFailure(err: NodeJS.ErrnoException, port: number, host: string): ListenError {
  const where = `port ${port} on ${host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(`${where} is already in use; set PORT or stop the other process`, err.code);
    case 'EACCES':
      return new ListenError(`${where}: permission denied (ports below 1024 need privileges); set PORT to 1024 or above`, err.code);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`cannot listen on ${host}: not an address of this machine; set HOST (127.0.0.1, or 0.0.0.0 for every interface)`, err.code);
    default:
      return new ListenError(`cannot listen on ${hostPort(host, port)}: ${err.message}`, err.code);
  }
}

/**
 * Listens on `host:port` (port 0: any free one) and resolves with the bound port, or rejects with
 * a ListenError. While listening is attempted the server's other 'error' listeners are set aside:
 * a WebSocketServer attached to the HTTP server re-emits its errors, and graphql-ws logs the first
 * as an "internal error" with a stack trace; a failure to listen is the caller's to report, once.
 */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  const others = server.rawListeners('error') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('error');
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) => reject(describeListenFailure(err, port, host));
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        resolve();
      });
    });
  } finally {
    for (const listener of others) server.on('error', listener);
  }
  return (server.address() as AddressInfo).port;
}

/** The URL a client on this machine uses: an any-interface address (dual-stack for `::`) is reached through loopback. */
export function localUrl(host: string, port: number, path: string): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}${path}`;
}
