import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { getOperationAST, GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { violationOpenedChannel } from '../compliance/notify';
import type { Config } from '../config/config';
import { createPool } from '../db/connections';
import { whoOwns } from '../ownership/who-owns';
import { callerName, createContext, USER_HEADER, type GovgraphContext, type WhoOwnsFn } from './context';
import { formatError } from './errors';
import { buildGovgraphSchema } from './schema';
import { ViolationFeed } from './violation-feed';

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
  const schema = await buildGovgraphSchema();
  const contextDeps = { pool, teamTagKey: config.TEAM_TAG_KEY, whoOwns: deps.whoOwns ?? whoOwns };

  // Subscriptions: graphql-ws over WebSocket on the same path; new violations come from Redis pub/sub
  const feed = new ViolationFeed({ redis, channel: violationOpenedChannel(config.GOVGRAPH_QUEUE_PREFIX), db: pool, log });
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const format = formatError(log);
  const wsCleanup = useServer<Record<string, unknown> | undefined, { request: http.IncomingMessage }>(
    {
      schema,
      context: (ctx) => createContext({ ...contextDeps, user: callerName(ctx.extra.request.headers[USER_HEADER]), feed }),
      // Queries and mutations go over HTTP, where CSRF prevention applies; browsers open WebSockets
      // across sites freely, so this transport serves subscriptions (read-only) and nothing else.
      onSubscribe: (_ctx, _id, payload) => {
        let operation;
        try {
          operation = getOperationAST(parse(payload.query), payload.operationName);
        } catch {
          return undefined; // graphql-ws answers the syntax error itself
        }
        if (operation && operation.operation !== 'subscription') {
          return [new GraphQLError(`only subscriptions are served over WebSocket; send ${operation.operation === 'query' ? 'queries' : 'mutations'} as HTTP POST to /graphql`, { extensions: { code: 'BAD_REQUEST' } })];
        }
        return undefined;
      },
      // the same error answers as over HTTP: no internal messages reach clients
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => format(e instanceof GraphQLError ? e.toJSON() : (e as GraphQLFormattedError), e)) }
          : result,
    },
    wsServer,
  );

  const apollo = new ApolloServer<GovgraphContext>({
    schema,
    // dashboards read the schema; it is public in schema.graphql anyway
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // csrfPrevention stays at its default (on): GET and simple POSTs need a preflight-forcing header
    formatError: formatError(log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // no response is HTTP-cacheable (answers depend on data that changes with every ingest), and
      // the cache-control plugin's hook on every field resolved costs a third of a large answer's time
      ApolloServerPluginCacheControlDisabled(),
      // closes WebSocket connections (ending their subscriptions) when the server drains
      { serverWillStart: async () => ({ drainServer: async () => { await wsCleanup.dispose(); await feed.close(); } }) },
    ],
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
      context: async ({ req }) => createContext({ ...contextDeps, user: callerName(req.headers[USER_HEADER]) }),
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
