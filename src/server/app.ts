import http from 'node:http';
import { listen, localUrl } from './listen';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { getOperationAST, GraphQLError, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { violationOpenedChannel } from '../compliance/notify';
import type { Config } from '../config/config';
import { createPool } from '../db/connections';
import { whoOwns } from '../ownership/who-owns';
import { createAuthenticator, type Authenticator } from '../auth/authenticate';
import { ForbiddenError, UnauthenticatedError, type Identity } from '../auth/identity';
import { createOidcVerifierFromConfig } from '../auth/oidc';
import { checkRootFields } from '../auth/root-fields';
import { ScopedSession, scopeOf, type Scope } from '../auth/scoped-session';
import { truncate } from '../read/errors';
import { accessLogHttpMiddleware, accessLogPlugin, createAccessLogWriter, subscriptionRecorder } from './access-log';
import { createContext, type ClientInfo, type GovgraphContext, type WhoOwnsFn } from './context';
import { checkSubscribeLimits, limitParseOptions, limitValidationRules, queryLimitsFromConfig, queryLimitsPlugin, rejectOversizedVariables } from './query-limits';
import { concurrencyLimitMiddleware, createRateLimiter, rateLimitKey, rateLimitMiddleware } from './rate-limit';
import { createSocketGuard, socketGuardOptionsFromConfig, type SocketLease } from './socket-guard';
import { formatError } from './errors';
import { buildGovgraphSchema } from './schema';
import { ViolationFeed } from './violation-feed';

export interface App {
  httpServer: http.Server;
  /**
   * Listens on `host` (default 127.0.0.1: loopback only) and `port` (0: any free port); resolves
   * with the port and the GraphQL URL; rejects with a one-line ListenError (port taken…).
   */
  start(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Drains requests in flight, then closes the server and the connections the app opened. */
  stop(): Promise<void>;
}

/** Connections and collaborators a caller may supply (tests count queries); the app closes only what it opened. */
export interface AppDeps {
  pool?: Pool;
  redis?: Redis;
  whoOwns?: WhoOwnsFn;
  log?: Logger;
  /** how callers are authenticated; default: API keys (and OIDC when configured) */
  authenticator?: Authenticator;
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
  const authenticator =
    deps.authenticator ?? createAuthenticator({ db: pool, oidc: await createOidcVerifierFromConfig(config), localOnly: config.GOVGRAPH_AUTH === 'none' });
  if (config.GOVGRAPH_AUTH === 'none') {
    log.warn({ host: config.HOST }, 'GOVGRAPH_AUTH=none: local-only development mode, every call without a credential is an administrator; never expose this API');
  }
  const limits = queryLimitsFromConfig(config);
  // every call on the record, written in batches off the request path
  const accessLog = createAccessLogWriter(pool, { log });
  const rateLimiter = createRateLimiter(redis, { pointsPerMinute: config.RATE_LIMIT_PER_MINUTE, keyPrefix: `${config.GOVGRAPH_QUEUE_PREFIX}:api-rate`, log });
  const socketGuard = createSocketGuard(socketGuardOptionsFromConfig(config));
  const sessionOptions = { teamTagKey: config.TEAM_TAG_KEY, statementTimeoutMs: config.API_STATEMENT_TIMEOUT_MS, requestTimeoutMs: config.API_REQUEST_TIMEOUT_MS };
  const contextFor = (identity: Identity, client: ClientInfo, feed?: ViolationFeed): GovgraphContext => {
    const openSession = () => new ScopedSession(pool, scopeOf(identity), sessionOptions);
    return createContext({
      db: openSession(),
      openSession,
      identity,
      client,
      teamTagKey: config.TEAM_TAG_KEY,
      whoOwns: deps.whoOwns ?? whoOwns,
      // whoOwns reads across teams (every role may ask it), in a session of its own: a request still
      // holds a bounded number of connections however many whoOwns aliases it asks
      ownershipDb: new ScopedSession(pool, ACROSS_TEAMS, sessionOptions),
      feed,
    });
  };

  // Subscriptions: graphql-ws over WebSocket on the same path; new violations come from Redis pub/sub
  const feed = new ViolationFeed({ redis, channel: violationOpenedChannel(config.GOVGRAPH_QUEUE_PREFIX), db: pool, log });
  // browsers open WebSockets across sites: only allow-listed origins may (no Origin: not a browser)
  // a message is bounded as a request body is (ws closes the connection with 1009 past it; its default is 100 MiB)
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: limits.maxBodyBytes,
    verifyClient: (info, done) => socketGuard.verifyClient(info, done),
  });
  const format = formatError(log);
  type SocketExtra = {
    request: http.IncomingMessage;
    identity?: Identity;
    lease?: SocketLease;
    /** each subscription's access-log entry, by graphql-ws operation id */
    recorders?: Map<string, ReturnType<typeof subscriptionRecorder>>;
  };
  const wsCleanup = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      // the credential comes in connection_init: {"authorization": "Bearer …"}
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        try {
          const identity = await authenticator.authenticate(typeof header === 'string' ? header : undefined);
          const lease = socketGuard.openConnection(rateLimitKey(identity));
          if (!lease) {
            await ctx.extra.socket.close(CloseCode.Forbidden, 'too many WebSocket connections for this credential');
            return false;
          }
          ctx.extra.identity = identity;
          ctx.extra.lease = lease;
          return true;
        } catch (err) {
          if (err instanceof ForbiddenError) {
            await ctx.extra.socket.close(CloseCode.Forbidden, truncate(err.message, 100));
            return false;
          }
          if (!(err instanceof UnauthenticatedError)) log.error({ err }, 'WebSocket authentication failed');
          await ctx.extra.socket.close(CloseCode.Unauthorized, err instanceof UnauthenticatedError ? truncate(err.message, 100) : 'Unauthorized');
          return false;
        }
      },
      context: (ctx) =>
        contextFor(ctx.extra.identity!, { address: ctx.extra.request.socket.remoteAddress ?? null, userAgent: ctx.extra.request.headers['user-agent'] ?? null, transport: 'ws' }, feed),
      // Queries and mutations go over HTTP, where CSRF prevention applies; browsers open WebSockets
      // across sites freely, so this transport serves subscriptions (read-only) and nothing else.
      onSubscribe: (ctx, id, payload) => {
        const recorder = subscriptionRecorder(accessLog, {
          identity: ctx.extra.identity,
          address: ctx.extra.request.socket.remoteAddress ?? null,
          userAgent: ctx.extra.request.headers['user-agent'] ?? null,
          query: payload.query,
          operationName: payload.operationName ?? null,
          variables: payload.variables,
        });
        (ctx.extra.recorders ??= new Map()).set(id, recorder);
        // every limit first, on the one parse of the document (graphql-ws would parse it again
        // without the token limit, and validate it without the depth and alias limits)
        const checked = checkSubscribeLimits(schema, payload, limits);
        if ('errors' in checked) return checked.errors; // onError records the refusal
        const { document } = checked;
        const operation = getOperationAST(document, payload.operationName);
        recorder.start(operation?.operation ?? null);
        if (operation && operation.operation !== 'subscription') {
          return [new GraphQLError(`only subscriptions are served over WebSocket; send ${operation.operation === 'query' ? 'queries' : 'mutations'} as HTTP POST to /graphql`, { extensions: { code: 'BAD_REQUEST' } })];
        }
        try {
          checkRootFields(schema, document, payload.operationName, ctx.extra.identity!);
        } catch (err) {
          if (err instanceof ForbiddenError) return [new GraphQLError(err.message, { extensions: { code: 'FORBIDDEN' } })];
          throw err;
        }
        if (!ctx.extra.lease?.startSubscription(id)) {
          return [new GraphQLError('too many subscriptions for this credential', { extensions: { code: 'RATE_LIMITED' } })];
        }
        // the checked document as the execution arguments: graphql-ws parses and validates nothing again
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      // a refused subscribe ends here (graphql-ws calls no onComplete after onSubscribe's errors)
      onError: (ctx, id, _payload, errors) => {
        ctx.extra.recorders?.get(id)?.end(errors);
        ctx.extra.recorders?.delete(id);
      },
      onComplete: (ctx, id) => {
        ctx.extra.recorders?.get(id)?.end();
        ctx.extra.recorders?.delete(id);
        ctx.extra.lease?.endSubscription(id);
      },
      onClose: (ctx) => ctx.extra.lease?.release(),
      // the same error answers as over HTTP: no internal messages reach clients; each event's
      // session ends once its answer is made
      onNext: async (ctx, id, _payload, args, result) => {
        const done = args.contextValue as GovgraphContext | undefined;
        if (done) await endSessions(done);
        ctx.extra.recorders?.get(id)?.next();
        return result.errors
          ? { ...result, errors: result.errors.map((e) => format(e instanceof GraphQLError ? e.toJSON() : (e as GraphQLFormattedError), e)) }
          : result;
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GovgraphContext>({
    schema,
    // dashboards read the schema; only authenticated callers reach Apollo at all
    introspection: true,
    // abuse limits: tokens at parse, depth/aliases/directives at validation, cost and variables
    // once the operation is known (src/server/query-limits.ts); all before any resolver runs
    parseOptions: limitParseOptions(limits),
    validationRules: limitValidationRules(limits),
    includeStacktraceInErrorResponses: false,
    // csrfPrevention stays at its default (on): GET and simple POSTs need a preflight-forcing header
    formatError: format,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // no response is HTTP-cacheable (answers depend on data that changes with every ingest), and
      // the cache-control plugin's hook on every field resolved costs a third of a large answer's time
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(limits),
      accessLogPlugin(accessLog),
      sessionPlugin(schema),
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
  /** The budget a request draws on: its authenticated caller's (set by authenticate). */
  const credentialOf = (req: Request) => rateLimitKey(req.res!.locals.identity as Identity);
  // The credential is checked before the body is read: an unauthenticated client costs a header.
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.identity = await authenticator.authenticate(req.headers.authorization);
      next();
    } catch (err) {
      // a valid token none of whose groups maps to a role: known, but with no rights here
      if (err instanceof ForbiddenError) {
        res.status(403).json({ errors: [{ message: err.message, extensions: { code: 'FORBIDDEN' } }] });
        return;
      }
      if (!(err instanceof UnauthenticatedError)) return next(err);
      res
        .status(401)
        // RFC 6750 §3: no error code when the request carried no credential at all
        .set('WWW-Authenticate', req.headers.authorization ? `Bearer realm="govgraph", error="invalid_token", error_description="${err.message.replace(/["\\]/g, "'")}"` : 'Bearer realm="govgraph"')
        .json({ errors: [{ message: err.message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  };
  app.use(
    '/graphql',
    // first: it records every answer, refusals before Apollo (401, 413, 429) included
    accessLogHttpMiddleware(accessLog),
    authenticate,
    // one budget per credential, shared by every API process through Redis
    rateLimitMiddleware(rateLimiter, credentialOf),
    // and a bounded number in flight at once, per process
    concurrencyLimitMiddleware(config.API_MAX_CONCURRENT_PER_CREDENTIAL, credentialOf),
    express.json({ limit: limits.maxBodyBytes }),
    rejectOversizedVariables(limits),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const ctx = contextFor(res.locals.identity as Identity, { address: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null, transport: 'http' });
        res.locals.graphqlContext = ctx; // the access log's middleware sees what Apollo's plugin recorded
        // a client that goes away mid-request stops its statement in Postgres too
        res.on('close', () => {
          if (!res.writableFinished) void Promise.all([ctx.db.cancel(), ctx.ownershipDb.cancel()]).finally(() => endSessions(ctx));
          else void endSessions(ctx);
        });
        return ctx;
      },
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
    async start(port, host = '127.0.0.1') {
      const bound = await listen(httpServer, port, host);
      // only once listening: a process that cannot listen has nothing of Redis to close
      if (!deps.redis) redis.connect().catch((err: Error) => log.warn({ err: err.message }, 'redis not reachable yet; /readyz says so'));
      return { port: bound, url: localUrl(host, bound, '/graphql') };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await apollo.stop(); // drains the HTTP server (drain plugin) before stopping Apollo
      await accessLog.stop(); // what the drained requests recorded
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

/** whoOwns' reads: every resource, as for an administrator, read-only. */
const ACROSS_TEAMS: Scope = { role: 'govgraph_api_unscoped', teams: [], allResources: true };

/** Ends (commits) a request's sessions and gives their connections back. */
async function endSessions(ctx: GovgraphContext): Promise<void> {
  await Promise.all([ctx.db.end(), ctx.ownershipDb.end()]);
}

/**
 * Per HTTP request: the root fields are checked against the caller's role before anything runs,
 * a mutation gets a read-write session, and the session ends (commits) before the answer is sent.
 */
function sessionPlugin(schema: GraphQLSchema): ApolloServerPlugin<GovgraphContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operationName, operation }) {
          try {
            checkRootFields(schema, document, operationName, contextValue.identity);
          } catch (err) {
            if (err instanceof ForbiddenError) throw new GraphQLError(err.message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
            throw err;
          }
          if (operation?.operation === 'mutation') contextValue.db.readWrite = true;
        },
        async willSendResponse({ contextValue }) {
          await endSessions(contextValue);
        },
      };
    },
  };
}
