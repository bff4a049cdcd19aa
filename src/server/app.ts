import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/config';
import { createPool } from '../db/connections';
import { whoOwns } from '../ownership/who-owns';
import { createContext, type GovgraphContext, type WhoOwnsFn } from './context';
import { formatError } from './errors';
import { buildGovgraphSchema } from './schema';

export interface App {
  httpServer: http.Server;
  /** Listens on `port` (0: any free port); resolves with the port and the GraphQL URL. */
  start(port: number): Promise<{ port: number; url: string }>;
  /** Drains requests in flight, then closes the server and the connections the app opened. */
  stop(): Promise<void>;
}

/** Connections and collaborators a caller may supply (tests count queries); the app closes only what it opened. */
export interface AppDeps {
  pool?: Pool;
  redis?: Redis;
  whoOwns?: WhoOwnsFn;
  log?: Logger;
}

const READY_TIMEOUT_MS = 2000;

/**
 * The GraphQL API: Apollo Server on express 5 at /graphql, with /healthz (the process answers)
 * and /readyz (Postgres and Redis answer). Stateless: all state is in Postgres, and loaders live
 * for one request, so any number of these can run behind a load balancer.
 */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const log = deps.log ?? pino({ level: config.LOG_LEVEL, name: 'govgraph-api' }, pino.destination(2));
  const pool = deps.pool ?? createPool(config.DATABASE_URL, 10);
  // an idle client losing its connection must not take the process down; the next query reconnects
  if (!deps.pool) pool.on('error', (err) => log.warn({ err: err.message }, 'postgres connection lost'));
  // Readiness pings wait for a connection in progress (offline queue), never past the check's
  // timeout. disconnectTimeout: ioredis keeps a timer that long after disconnecting a socket that
  // never connected, which would hold the process open at shutdown.
  const redis =
    deps.redis ??
    new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: READY_TIMEOUT_MS, disconnectTimeout: 200 });
  if (!deps.redis) redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));

  const httpServer = http.createServer();
  const apollo = new ApolloServer<GovgraphContext>({
    schema: await buildGovgraphSchema(),
    // dashboards read the schema; it is public in schema.graphql anyway
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // csrfPrevention stays at its default (on): GET and simple POSTs need a preflight-forcing header
    formatError: formatError(log),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
    // `govgraph serve` handles SIGINT/SIGTERM and calls stop(); Apollo's own handlers would stop it
    // behind our back and re-raise the signal
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [postgres, redisCheck] = await Promise.all([
      check(() => pool.query('SELECT 1')),
      check(() => redis.ping()),
    ]);
    const ready = postgres === 'ok' && redisCheck === 'ok';
    if (!ready) log.warn({ postgres, redis: redisCheck }, 'not ready');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres: postgres === 'ok' ? 'ok' : 'unavailable', redis: redisCheck === 'ok' ? 'ok' : 'unavailable' } });
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async () => createContext({ pool, teamTagKey: config.TEAM_TAG_KEY, whoOwns: deps.whoOwns ?? whoOwns }),
    }),
  );
  // body-parser failures (malformed JSON, too large) answered in GraphQL's error shape, never as an HTML stack trace
  app.use((err: { status?: number; statusCode?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) log.error({ err }, 'request failed');
    const message = status >= 500 ? 'Internal server error' : err.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : (err.message ?? 'Bad request');
    res.status(status).json({ errors: [{ message, extensions: { code: status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  });
  httpServer.on('request', app);

  let stopped = false;
  return {
    httpServer,
    async start(port) {
      if (!deps.redis) redis.connect().catch((err: Error) => log.warn({ err: err.message }, 'redis not reachable yet; /readyz says so'));
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const bound = (httpServer.address() as AddressInfo).port;
      return { port: bound, url: `http://127.0.0.1:${bound}/graphql` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await apollo.stop(); // drains the HTTP server (drain plugin) before stopping Apollo
      if (!deps.redis) redis.disconnect();
      if (!deps.pool) await pool.end();
    },
  };
}

/** 'ok', or why not (logged, never sent: readiness says only what is unavailable). */
async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
