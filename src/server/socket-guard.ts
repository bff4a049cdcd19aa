import type { IncomingMessage } from 'node:http';

export interface SocketGuardOptions {
  /** browser origins allowed to open the WebSocket (`https://dash.example.com`); `*`: any */
  allowedOrigins: readonly string[];
  maxConnectionsPerCredential: number;
  maxSubscriptionsPerCredential: number;
}

/** One credential's open WebSocket connection, and the subscriptions it runs. */
export interface SocketLease {
  /** Counts a subscription of this connection (graphql-ws `id`); false: the credential has as many as it may. */
  startSubscription(id: string): boolean;
  /** Frees a subscription's place (graphql-ws onComplete); unknown ids are ignored. */
  endSubscription(id: string): void;
  /** Frees the connection and every subscription it still holds (graphql-ws onClose). Idempotent. */
  release(): void;
}

export interface SocketGuard {
  /**
   * Whether a WebSocket upgrade from this Origin may proceed. No Origin header: not a browser
   * (a bot, a CLI), which a web page cannot pretend to be, so allowed; a browser's Origin must
   * be in the list (or the list holds `*`).
   */
  originAllowed(origin: string | undefined): boolean;
  /**
   * ws's `verifyClient` option (`new WebSocketServer({ server, path, verifyClient })`): refuses a
   * disallowed origin with HTTP 403 before the upgrade.
   */
  verifyClient(info: { origin?: string; req: IncomingMessage }, callback: (ok: boolean, code?: number, message?: string) => void): void;
  /** A place for one more connection of this credential; null when it has as many as it may. */
  openConnection(credentialKey: string): SocketLease | null;
  /** Open connections and subscriptions of a credential (for logs and tests). */
  usage(credentialKey: string): { connections: number; subscriptions: number };
}

/**
 * Bounds on the WebSocket: origins allow-listed, connections and subscriptions per credential.
 * Counted per API process (in memory): a credential may hold the bounds on each process behind
 * the load balancer; a connection lives on one process, so its counts need no coordination and
 * die with it.
 */
export function createSocketGuard(options: SocketGuardOptions): SocketGuard {
  const anyOrigin = options.allowedOrigins.includes('*');
  // Origin is scheme://host[:port], compared as browsers send it (lower-case scheme and host)
  const allowed = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const perCredential = new Map<string, { connections: number; subscriptions: number }>();

  const originAllowed = (origin: string | undefined) => origin === undefined || anyOrigin || allowed.has(origin.toLowerCase());

  return {
    originAllowed,
    verifyClient(info, callback) {
      const origin = info.req.headers.origin;
      if (originAllowed(origin)) callback(true);
      else callback(false, 403, 'Origin not allowed');
    },
    openConnection(credentialKey) {
      const counts = perCredential.get(credentialKey) ?? { connections: 0, subscriptions: 0 };
      if (counts.connections >= options.maxConnectionsPerCredential) return null;
      counts.connections++;
      perCredential.set(credentialKey, counts);
      const subscriptions = new Set<string>();
      let released = false;
      return {
        startSubscription(id) {
          if (released) return false;
          if (subscriptions.has(id)) return true;
          if (counts.subscriptions >= options.maxSubscriptionsPerCredential) return false;
          subscriptions.add(id);
          counts.subscriptions++;
          return true;
        },
        endSubscription(id) {
          if (subscriptions.delete(id)) counts.subscriptions--;
        },
        release() {
          if (released) return;
          released = true;
          counts.subscriptions -= subscriptions.size;
          subscriptions.clear();
          counts.connections--;
          if (counts.connections === 0 && counts.subscriptions === 0) perCredential.delete(credentialKey);
        },
      };
    },
    usage(credentialKey) {
      const counts = perCredential.get(credentialKey);
      return { connections: counts?.connections ?? 0, subscriptions: counts?.subscriptions ?? 0 };
    },
  };
}

/** The guard's options from configuration. */
export function socketGuardOptionsFromConfig(config: {
  WS_ALLOWED_ORIGINS: string[];
  WS_MAX_CONNECTIONS_PER_CREDENTIAL: number;
  WS_MAX_SUBSCRIPTIONS_PER_CREDENTIAL: number;
}): SocketGuardOptions {
  return {
    allowedOrigins: config.WS_ALLOWED_ORIGINS,
    maxConnectionsPerCredential: config.WS_MAX_CONNECTIONS_PER_CREDENTIAL,
    maxSubscriptionsPerCredential: config.WS_MAX_SUBSCRIPTIONS_PER_CREDENTIAL,
  };
}
