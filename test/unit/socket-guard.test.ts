import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { createSocketGuard } from '../../src/server/socket-guard';
import { listenOnLoopback } from '../support/listen';

/** WebSocket bounds: browser origins allow-listed, connections and subscriptions per credential. */

const options = { allowedOrigins: ['https://dash.example.com'], maxConnectionsPerCredential: 2, maxSubscriptionsPerCredential: 3 };

/** Opens a WebSocket with these headers: 'open', or the HTTP status of the refused upgrade. */
function tryOpen(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', (err) => reject(err));
  });
}

describe('the WebSocket guard', () => {
  it('lets non-browser clients and allowed origins upgrade, and refuses other origins with 403 (ws verifyClient)', async () => {
    // Arrange: a ws server with the guard's verifyClient, as the API's
    const guard = createSocketGuard(options);
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: '/graphql', verifyClient: guard.verifyClient });
    const port = await listenOnLoopback(server);
    const url = `ws://127.0.0.1:${port}/graphql`;

    try {
      // Act
      const results = {
        noOrigin: await tryOpen(url, {}),
        allowed: await tryOpen(url, { origin: 'https://dash.example.com' }),
        otherSite: await tryOpen(url, { origin: 'https://evil.example.net' }),
        lookalike: await tryOpen(url, { origin: 'https://dash.example.com.evil.net' }),
        plainHttp: await tryOpen(url, { origin: 'http://dash.example.com' }),
      };

      // Assert
      expect(results).toEqual({ noOrigin: 'open', allowed: 'open', otherSite: 403, lookalike: 403, plainHttp: 403 });
    } finally {
      wss.close();
      server.close();
    }
  });

  it('allows any origin when the list holds *', () => {
    // Arrange
    const guard = createSocketGuard({ ...options, allowedOrigins: ['*'] });

    // Act / Assert
    expect(guard.originAllowed('http://localhost:3000')).toBe(true);
    expect(createSocketGuard({ ...options, allowedOrigins: [] }).originAllowed('http://localhost:3000')).toBe(false);
  });

  it('bounds connections per credential and gives the place back when one closes', () => {
    // Arrange
    const guard = createSocketGuard(options);

    // Act
    const first = guard.openConnection('api-key:a');
    const second = guard.openConnection('api-key:a');
    const third = guard.openConnection('api-key:a');
    const otherCredential = guard.openConnection('api-key:b');
    first!.release();
    first!.release(); // graphql-ws may report a close twice: counted once
    const afterRelease = guard.openConnection('api-key:a');

    // Assert
    expect([first, second, otherCredential, afterRelease].every((l) => l !== null)).toBe(true);
    expect(third).toBeNull();
    expect(guard.usage('api-key:a')).toEqual({ connections: 2, subscriptions: 0 });
  });

  it('bounds subscriptions per credential across its connections, and frees them on complete and on close', () => {
    // Arrange
    const guard = createSocketGuard(options);
    const one = guard.openConnection('oidc:alice')!;
    const two = guard.openConnection('oidc:alice')!;

    // Act
    const started = [one.startSubscription('1'), one.startSubscription('2'), two.startSubscription('1')];
    const overLimit = two.startSubscription('2');
    one.endSubscription('1');
    const afterComplete = two.startSubscription('2');
    const full = guard.usage('oidc:alice');
    two.release(); // its subscriptions go with it
    const afterClose = one.startSubscription('3');

    // Assert
    expect(started).toEqual([true, true, true]);
    expect(overLimit).toBe(false);
    expect(afterComplete).toBe(true);
    expect(full).toEqual({ connections: 2, subscriptions: 3 });
    expect(afterClose).toBe(true);
    expect(guard.usage('oidc:alice')).toEqual({ connections: 1, subscriptions: 2 });
    one.release();
    expect(guard.usage('oidc:alice')).toEqual({ connections: 0, subscriptions: 0 });
  });
});
