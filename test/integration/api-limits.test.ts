import { Redis } from 'ioredis';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createApiKey } from '../../src/auth/api-keys';
import { createOpenedPublisher, violationOpenedChannel } from '../../src/compliance/notify';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { countingPool, ingestDemo, RunningApi, startApi, type GraphQLResponse } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * The abuse limits through the running API (real HTTP and WebSocket, Postgres and Redis): the
 * queries that took the server down are refused before any read, the rate limit is one budget per
 * credential across API processes, credentials are required everywhere, the WebSocket bounds
 * origins, connections and subscriptions, and no statement outlives its bound or its client.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the abusive queries of the issue ----

/**
 * A Resource's selection nested `levels` deep through its owner team's resources (4 levels a
 * turn), padded with the scalars a careless dashboard asks for.
 */
function nestedResource(levels: number): string {
  let open = '';
  let close = '';
  for (let depth = 0; depth < levels; depth += 4) {
    open += 'arn name service region accountId resourceType createdAt createdEventId firstSeen lastSeen deletedAt deleted ';
    open += 'ownerTeam { name createdAt resources(first: 5) { totalCount edges { cursor node { ';
    close += '} } } } ';
  }
  return `${open}arn ${close}`;
}
/** 150 levels deep, about 7.4 KB: the query that ran the server out of memory. */
const DEEP_QUERY = `query Deep { resources(first: 5) { edges { node { ${nestedResource(146)} } } } }`;
/** 1,000 aliases of a 500-event page with `raw`. */
const EVENT_FLOOD = `query Flood { ${Array.from({ length: 1000 }, (_, i) => `e${i}: auditEvents(first: 500) { edges { node { raw } } }`).join(' ')} }`;
/** 200 aliased counts of every team's resources. */
const TEAM_COUNTS = `query Counts { ${Array.from({ length: 200 }, (_, i) => `t${i}: teams { resources { totalCount } }`).join(' ')} }`;
/** Within depth and aliases, but its lists multiply: 500 events × 500 team members each. */
const MULTIPLIED = `query Multiplied { auditEvents(first: 500) { edges { node { raw principal { team { members(first: 500) { edges { node { arn tags { key value } } } } } } } } } }`;
const PAGE_OF_N = 'query Page($n: Int) { auditEvents(first: $n) { edges { node { eventId raw } } } }';
const SIMULATE = `query Sim($p: JSON) { simulate(principalArn: "arn:aws:iam::111122223333:role/ml-engineer", action: "sagemaker:CreateTrainingJob", resourcePolicy: $p) { decision } }`;
const FILTERED = 'query Filtered($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }';
/** A JSON text nested `depth` deep (arrays: the densest nesting, 2 bytes a level), written out: a recursive JSON.stringify would overflow. */
const nestedJson = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const SUBSCRIPTION = 'subscription Opened { violationOpened { id ruleId team } }';
const DEEP_SUBSCRIPTION = `subscription Deep { violationOpened { resource { ${nestedResource(146)} } } }`;
const ALIAS_SUBSCRIPTION = (n: number) => `subscription Aliases { violationOpened { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } }`;
const MULTIPLIED_SUBSCRIPTION = `subscription Multiplied($n: Int) { violationOpened { resource { ownerTeam { resources(first: $n) { edges { node { arn ownerTeam { members(first: 500) { edges { node { arn } } } } } } } } } } }`;

// ---- a graphql-ws client at the protocol level: close codes and upgrade refusals as they are ----

class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`WebSocket upgrade refused with HTTP ${status}`);
  }
}

interface RawSocket {
  ws: WebSocket;
  messages: any[];
  /** the close code and reason, once the server (or the client) closed the connection */
  closed: Promise<{ code: number; reason: string }>;
  send(message: object | string): void;
  /** the first message matching, or an error after `ms` */
  waitFor(match: (m: any) => boolean, ms?: number): Promise<any>;
}

describe('abuse limits through the running API', () => {
  let db: TestDatabase;
  let pool: ReturnType<typeof countingPool>;
  let api: RunningApi;
  let redis: Redis;
  const prefix = testQueuePrefix();
  const sockets: WebSocket[] = [];
  const ALLOWED_ORIGIN = 'https://dash.example.com';

  /** The statements the request ran besides authenticating (the access log's own batched writes are not the request's). */
  const reads = () => pool.queries.filter((sql) => !/api_access_log/.test(sql));

  /** POSTs a body as written (the deep variables cannot go through JSON.stringify). */
  const postRaw = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${api.adminKey}`, ...headers }, body });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse };
  };

  const newKey = async (name: string, role = 'admin', teams?: string[]) => (await createApiKey(db.pool, { name, role, teams })).key;

  const openSocket = (target: RunningApi, headers: Record<string, string> = {}) =>
    new Promise<RawSocket>((resolve, reject) => {
      const ws = new WebSocket(target.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
      sockets.push(ws);
      const messages: any[] = [];
      const listeners = new Set<() => void>();
      ws.on('message', (data) => {
        messages.push(JSON.parse(String(data)));
        for (const l of listeners) l();
      });
      const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: String(reason) })));
      ws.once('unexpected-response', (_req, res) => reject(new UpgradeRefused(res.statusCode ?? 0)));
      ws.once('error', reject);
      ws.once('open', () =>
        resolve({
          ws,
          messages,
          closed,
          send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
          waitFor: (match, ms = 5000) =>
            new Promise((found, fail) => {
              const check = () => {
                const m = messages.find(match);
                if (m) {
                  clearTimeout(timer);
                  listeners.delete(check);
                  found(m);
                }
              };
              const timer = setTimeout(() => {
                listeners.delete(check);
                fail(new Error(`no such message within ${ms} ms; got ${JSON.stringify(messages).slice(0, 500)}`));
              }, ms);
              listeners.add(check);
              check();
            }),
        }),
      );
    });

  /** Opens a socket and sends connection_init: 'ack', or the close code when the server refused it. */
  const connect = async (target: RunningApi, authorization: string | null, headers: Record<string, string> = {}) => {
    const socket = await openSocket(target, headers);
    socket.send({ type: 'connection_init', payload: authorization === null ? {} : { authorization } });
    const outcome = await Promise.race([socket.waitFor((m) => m.type === 'connection_ack').then(() => 'ack' as const), socket.closed.then((c) => c.code)]);
    return { socket, outcome };
  };

  const subscribe = (socket: RawSocket, id: string, query: string, variables?: Record<string, unknown>) =>
    socket.send({ id, type: 'subscribe', payload: { query, variables } });
  /** The errors the server answered a subscribe with. */
  const errorsOf = async (socket: RawSocket, id: string) => (await socket.waitFor((m) => m.id === id && m.type === 'error')).payload as { message: string; extensions?: Record<string, unknown> }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestDemo(db, { evaluation: { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' } });
    redis = new Redis(REDIS_URL);
    pool = countingPool(db.url);
    api = await startApi(db, { pool }, {
      GOVGRAPH_QUEUE_PREFIX: prefix,
      WS_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      WS_MAX_CONNECTIONS_PER_CREDENTIAL: '2',
      WS_MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '3',
    });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await api?.stop();
    await pool?.end();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis?.disconnect();
    await db?.drop();
  });
  beforeEach(() => {
    pool.queries = [];
  });

  describe('abusive queries over HTTP: HTTP 400 with a client code, and no database read', () => {
    const expectRefusedBeforeAnyRead = (res: { status: number; body: GraphQLResponse }, status: number, code: string) => {
      expect(res.status).toBe(status);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      expect(reads()).toEqual([]);
    };

    it('a 7.4 KB query nested 150 levels deep is refused by the depth limit', async () => {
      // Arrange
      expect(DEEP_QUERY.length).toBeGreaterThan(7000);
      expect(DEEP_QUERY.length).toBeLessThan(8000);

      // Act
      const res = await api.post(DEEP_QUERY);

      // Assert
      expectRefusedBeforeAnyRead(res, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(res.body.errors![0].extensions).toMatchObject({ limit: 'depth', maximum: 15 });
      expect(res.body.errors![0].extensions!.actual).toBeGreaterThanOrEqual(150);
    });

    it('1,000 aliases of a 500-event page with raw are refused by the token limit before the document is built', async () => {
      // Act
      const res = await api.post(EVENT_FLOOD);

      // Assert
      expectRefusedBeforeAnyRead(res, 400, 'GRAPHQL_PARSE_FAILED');
      expect(res.body.errors![0].message).toMatch(/3000 tokens/);
    });

    it('200 aliased team resource counts are refused by the alias limit', async () => {
      // Act
      const res = await api.post(TEAM_COUNTS);

      // Assert
      expectRefusedBeforeAnyRead(res, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(res.body.errors![0].extensions).toMatchObject({ limit: 'aliases', maximum: 30, actual: 200 });
    });

    it('a query within depth and aliases whose lists multiply past the cost limit is QUERY_TOO_COMPLEX', async () => {
      // Act
      const res = await api.post(MULTIPLIED);

      // Assert
      expectRefusedBeforeAnyRead(res, 400, 'QUERY_TOO_COMPLEX');
      expect(res.body.errors![0].extensions!.actual).toBeGreaterThan(100_000);
    });

    it('`first: $n` with a huge n in a variable counts as sent: QUERY_TOO_COMPLEX, and past Int BAD_USER_INPUT', async () => {
      // Act
      const huge = await api.post(PAGE_OF_N, { n: 2_000_000_000 });
      const hugeReads = reads();
      pool.queries = [];
      const notAnInt = await api.post(PAGE_OF_N, { n: 1e15 });

      // Assert
      expect(hugeReads).toEqual([]);
      expectRefusedBeforeAnyRead(huge, 400, 'QUERY_TOO_COMPLEX');
      expect(huge.body.errors![0].extensions!.actual).toBeGreaterThanOrEqual(2_000_000_000);
      expectRefusedBeforeAnyRead(notAnInt, 400, 'BAD_USER_INPUT');
    });

    it('a variable nested 100,000 deep is BAD_USER_INPUT, as simulate JSON and as a filter input', async () => {
      // Arrange
      const deep = nestedJson(100_000);

      // Act
      const asJson = await postRaw(`{"query":${JSON.stringify(SIMULATE)},"variables":{"p":${deep}}}`);
      const jsonReads = reads();
      pool.queries = [];
      const asFilter = await postRaw(`{"query":${JSON.stringify(FILTERED)},"variables":{"f":{"eventName":${deep}}}}`);

      // Assert
      expect(jsonReads).toEqual([]);
      for (const res of [asJson, asFilter]) {
        expectRefusedBeforeAnyRead(res, 400, 'BAD_USER_INPUT');
        expect(res.body.errors![0].message).toMatch(/nested deeper than 32 levels/);
      }
    });

    it('a body over the size limit is refused with HTTP 413 before it is parsed', async () => {
      // Arrange: a valid query padded past 256 KB
      const body = JSON.stringify({ query: `{ rules { id } }${' '.repeat(300 * 1024)}` });

      // Act
      const res = await postRaw(body);

      // Assert
      expectRefusedBeforeAnyRead(res, 413, 'BAD_REQUEST');
    });

    it('the server answers a small query at once after all of them', async () => {
      // Act
      const data = await api.data('{ teams { name } }');

      // Assert
      expect(data.teams.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['TeamA']));
    });
  });

  describe('the same limits over WebSocket, for subscriptions', () => {
    let socket: RawSocket;
    beforeAll(async () => {
      const { socket: s, outcome } = await connect(api, `Bearer ${await newKey('ws-limits')}`);
      expect(outcome).toBe('ack');
      socket = s;
    });
    afterAll(() => socket?.ws.close());

    it('refuses a subscription nested 150 levels deep, over the token limit, with 200 aliases, over the cost limit or with a huge $n, before any read', async () => {
      // Act
      subscribe(socket, 'deep', DEEP_SUBSCRIPTION);
      subscribe(socket, 'tokens', ALIAS_SUBSCRIPTION(1500));
      subscribe(socket, 'aliases', ALIAS_SUBSCRIPTION(200));
      subscribe(socket, 'cost', MULTIPLIED_SUBSCRIPTION, { n: 500 });
      subscribe(socket, 'n', MULTIPLIED_SUBSCRIPTION, { n: 2_000_000_000 });
      const [deep, tokens, aliases, cost, n] = await Promise.all(['deep', 'tokens', 'aliases', 'cost', 'n'].map((id) => errorsOf(socket, id)));

      // Assert
      expect(deep.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' })]);
      expect(tokens.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(tokens[0].message).toMatch(/3000 tokens/);
      expect(aliases.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', actual: 200 })]);
      expect(cost.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(n.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(reads()).toEqual([]);
    });

    it('refuses a filter variable nested 100,000 deep as BAD_USER_INPUT', async () => {
      // Act: the message written out (a recursive JSON.stringify would overflow)
      socket.send(`{"id":"nested","type":"subscribe","payload":{"query":"subscription($f: ViolationFilter) { violationOpened(filter: $f) { id } }","variables":{"f":{"team":${nestedJson(100_000)}}}}}`);
      const errors = await errorsOf(socket, 'nested');

      // Assert
      expect(errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(errors[0].message).toMatch(/nested deeper than 32 levels/);
      expect(reads()).toEqual([]);
    });

    it('closes a connection whose message is over the body size limit (1009), and keeps serving others', async () => {
      // Arrange
      const { socket: big, outcome } = await connect(api, `Bearer ${await newKey('ws-big')}`);
      expect(outcome).toBe('ack');

      // Act
      subscribe(big, 'big', `${SUBSCRIPTION}${' '.repeat(300 * 1024)}`);
      const closed = await big.closed;
      subscribe(socket, 'after', ALIAS_SUBSCRIPTION(200));

      // Assert
      expect(closed.code).toBe(1009);
      expect((await errorsOf(socket, 'after'))[0].extensions?.limit).toBe('aliases');
    });
  });

  describe('credentials', () => {
    const UNKNOWN_KEY = `ggk_${'a'.repeat(12)}_${'b'.repeat(43)}`;
    const cases: [string, Record<string, string>][] = [
      ['no Authorization header', { authorization: '' }],
      ['a header that is not a bearer credential', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['a malformed API key', { authorization: 'Bearer ggk_short' }],
      ['an unknown API key', { authorization: `Bearer ${UNKNOWN_KEY}` }],
    ];

    it.each(cases)('%s over HTTP: 401, WWW-Authenticate: Bearer, UNAUTHENTICATED, and no read', async (_what, headers) => {
      // Act
      const res = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(headers.authorization ? headers : {}) },
        body: JSON.stringify({ query: '{ teams { name } }' }),
      });
      const body = (await res.json()) as GraphQLResponse;

      // Assert
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="govgraph"/);
      expect(body.data).toBeUndefined();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(reads()).toEqual([]);
    });

    it('introspection without a key is 401 too; with one it is answered', async () => {
      // Act
      const without = await api.post('{ __schema { queryType { name } types { name } } }', undefined, { authorization: '' });
      const withKey = await api.post('{ __schema { queryType { name } } }');

      // Assert
      expect(without.status).toBe(401);
      expect(without.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(without.body.data).toBeUndefined();
      expect(withKey.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it.each([
      ['no credential in connection_init', null],
      ['a malformed API key', 'Bearer ggk_short'],
      ['an unknown API key', `Bearer ${UNKNOWN_KEY}`],
    ])('over WebSocket, %s: the connection is closed with 4401', async (_what, authorization) => {
      // Act
      const { socket, outcome } = await connect(api, authorization);

      // Assert
      expect(outcome).toBe(4401);
      expect(socket.messages).toEqual([]);
    });

    it('over WebSocket, a subscribe before connection_init is closed with 4401', async () => {
      // Arrange
      const socket = await openSocket(api);

      // Act
      subscribe(socket, '1', SUBSCRIPTION);

      // Assert
      expect((await socket.closed).code).toBe(4401);
    });
  });

  describe('WebSocket origins, connections and subscriptions', () => {
    it('refuses an Origin not in WS_ALLOWED_ORIGINS at the upgrade (403); an allowed Origin and no Origin pass', async () => {
      // Act
      const foreign = await openSocket(api, { origin: 'https://evil.example.net' }).then(
        () => null,
        (err: unknown) => err,
      );
      const allowed = await connect(api, `Bearer ${api.adminKey}`, { origin: ALLOWED_ORIGIN });
      const noOrigin = await connect(api, `Bearer ${api.adminKey}`);

      // Assert
      expect(foreign).toBeInstanceOf(UpgradeRefused);
      expect((foreign as UpgradeRefused).status).toBe(403);
      expect(allowed.outcome).toBe('ack');
      expect(noOrigin.outcome).toBe('ack');
      allowed.socket.ws.close();
      noOrigin.socket.ws.close();
      await Promise.all([allowed.socket.closed, noOrigin.socket.closed]);
    });

    it('closes connections of a credential past its cap (4403) while another key still connects, and frees a place when one closes', async () => {
      // Arrange: the cap is 2
      const key = `Bearer ${await newKey('ws-many')}`;
      const first = await connect(api, key);
      const second = await connect(api, key);

      // Act
      const third = await connect(api, key);
      const other = await connect(api, `Bearer ${await newKey('ws-other')}`);
      first.socket.ws.close();
      await first.socket.closed;
      await sleep(50); // the server sees the close
      const again = await connect(api, key);

      // Assert
      expect([first.outcome, second.outcome]).toEqual(['ack', 'ack']);
      expect(third.outcome).toBe(4403);
      expect(other.outcome).toBe('ack');
      expect(again.outcome).toBe('ack');
    });

    it('refuses subscriptions of a credential past its cap with RATE_LIMITED; the ones within it receive violations', async () => {
      // Arrange: the cap is 3, across the credential's connections
      const key = `Bearer ${await newKey('ws-subscriptions')}`;
      const a = (await connect(api, key)).socket;
      const b = (await connect(api, key)).socket;
      const channel = violationOpenedChannel(prefix);
      const { rows: [violation] } = await db.pool.query<{ id: string }>('SELECT id::text FROM violations ORDER BY id LIMIT 1');

      // Act
      subscribe(a, '1', SUBSCRIPTION);
      subscribe(a, '2', SUBSCRIPTION);
      subscribe(b, '3', SUBSCRIPTION);
      subscribe(b, '4', SUBSCRIPTION);
      const refused = await errorsOf(b, '4');
      for (let i = 0; i < 200 && ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] < 1; i++) await sleep(25);
      await createOpenedPublisher(redis, channel, { warn: () => undefined })([violation.id]);
      const delivered = await Promise.all([a.waitFor((m) => m.id === '1' && m.type === 'next'), a.waitFor((m) => m.id === '2' && m.type === 'next'), b.waitFor((m) => m.id === '3' && m.type === 'next')]);

      // Assert
      expect(refused.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      expect(delivered.map((m) => m.payload.data.violationOpened.id)).toEqual([violation.id, violation.id, violation.id]);
      expect(b.messages.filter((m) => m.id === '4' && m.type === 'next')).toEqual([]);
    });
  });

  describe('rate limit per credential, shared by two API processes on one Redis', () => {
    let apiA: RunningApi;
    let apiB: RunningApi;
    const sharedPrefix = testQueuePrefix();
    beforeAll(async () => {
      const env = { GOVGRAPH_QUEUE_PREFIX: sharedPrefix, RATE_LIMIT_PER_MINUTE: '4' };
      apiA = await startApi(db, {}, env);
      apiB = await startApi(db, {}, env);
    });
    afterAll(async () => {
      await apiA?.stop();
      await apiB?.stop();
      const keys = await redis.keys(`${sharedPrefix}*`);
      if (keys.length) await redis.del(...keys);
    });

    it('spends one budget through both; past it HTTP 429 with Retry-After and RATE_LIMITED; another key still gets through', async () => {
      // Arrange
      const key = { authorization: `Bearer ${await newKey('rate-shared')}` };
      const other = { authorization: `Bearer ${await newKey('rate-other')}` };
      const ask = (target: RunningApi, headers: Record<string, string>) =>
        fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ rules { id } }' }) });

      // Act: 2 through each process, then one more through each
      const within = [await ask(apiA, key), await ask(apiB, key), await ask(apiA, key), await ask(apiB, key)];
      const overA = await ask(apiA, key);
      const overB = await ask(apiB, key);
      const otherKey = await ask(apiA, other);

      // Assert
      expect(within.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (const over of [overA, overB]) {
        expect(over.status).toBe(429);
        const retryAfter = Number(over.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        const body = (await over.json()) as GraphQLResponse;
        expect(body.data).toBeUndefined();
        expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      }
      expect(otherKey.status).toBe(200);
      expect(((await otherKey.json()) as GraphQLResponse).errors).toBeUndefined();
      // the shared budget lives under the configured queue prefix, one Redis Cluster slot with the queues
      expect((await redis.keys(`${sharedPrefix}:api-rate*`)).length).toBeGreaterThan(0);
    });
  });

  describe('statements bounded in time', () => {
    /** Backends of this database with a transaction or a statement of the API still open. */
    const openApiStatements = async () =>
      (
        await db.pool.query<{ pid: number; state: string; query: string; wait_event_type: string | null }>(
          `SELECT pid, state, query, wait_event_type FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND (state = 'active' OR state LIKE 'idle in transaction%')
              AND query NOT LIKE '%pg_stat_activity%' AND query NOT LIKE 'INSERT INTO api_access_log%' AND query NOT LIKE 'LOCK TABLE%'`,
          [db.name],
        )
      ).rows;

    it('a statement past API_STATEMENT_TIMEOUT_MS is answered QUERY_TIMEOUT, never INTERNAL_SERVER_ERROR, and the server goes on answering', async () => {
      // Arrange: the demo data is small; no query runs long at a realistic bound. At 1 ms (the
      // smallest Postgres accepts) a team member's event page (row-level security decides each
      // event's team at its time) always runs past it; an admin's large page runs past it often.
      // (20 pages at once from one key: the in-flight bound per credential is lifted for this one)
      const slow = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix, API_STATEMENT_TIMEOUT_MS: '1', API_MAX_CONCURRENT_PER_CREDENTIAL: '100' });
      const member = { authorization: `Bearer ${await newKey('timeout-member', 'team-member', ['TeamA'])}` };
      const page = '{ auditEvents(first: 500) { totalCount edges { node { eventName raw resources { arn tags { key value } } principal { arn tags { key value } } } } } }';
      try {
        // Act
        const scoped = await slow.post(page, undefined, member);
        const admin = await Promise.all(Array.from({ length: 20 }, () => slow.post(page)));
        const after = await slow.post('{ rules { id } }');
        const ready = await fetch(`${slow.base}/readyz`);

        // Assert
        expect(scoped.status).toBe(200);
        expect(scoped.body.errors?.[0].extensions?.code).toBe('QUERY_TIMEOUT');
        expect(scoped.body.errors?.[0].message).toMatch(/took longer than the API allows/);
        const codes = admin.map((r) => (r.body.errors ?? []).map((e) => e.extensions?.code)).flat();
        expect(codes.filter((c) => c !== 'QUERY_TIMEOUT')).toEqual([]);
        expect(after.body.errors).toBeUndefined();
        expect(after.body.data.rules.length).toBeGreaterThan(5);
        expect(ready.status).toBe(200);
        // every request's connection went back to the pool with its transaction ended
        expect(await openApiStatements()).toEqual([]);
      } finally {
        await slow.stop();
      }
    });

    it("a client that goes away mid-request has its statement cancelled in Postgres", async () => {
      // Arrange: no API read of the demo data runs long enough to leave in the middle of; a
      // statement waiting for a lock another session holds does (as behind a migration). The
      // bound is far away, so only the cancel can end it.
      const patient = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix, API_STATEMENT_TIMEOUT_MS: '600000' });
      const locker = new Client({ connectionString: db.url });
      await locker.connect();
      const controller = new AbortController();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE');
        const request = fetch(patient.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${patient.adminKey}` },
          body: JSON.stringify({ query: '{ auditEvents(first: 10) { edges { node { eventId } } } }' }),
          signal: controller.signal,
        }).catch((err: Error) => err);
        let waiting: Awaited<ReturnType<typeof openApiStatements>> = [];
        for (let i = 0; i < 200 && waiting.length === 0; i++) {
          await sleep(25);
          waiting = (await openApiStatements()).filter((s) => s.state === 'active' && s.wait_event_type === 'Lock');
        }
        expect(waiting).toHaveLength(1);

        // Act
        controller.abort();
        const aborted = await request;
        let still = await openApiStatements();
        for (let i = 0; i < 200 && still.length > 0; i++) {
          await sleep(25);
          still = await openApiStatements();
        }

        // Assert: gone while the lock is still held: cancelled, not finished; and the API answers
        expect((aborted as Error).name).toBe('AbortError');
        expect(still).toEqual([]);
        expect((await locker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'AccessExclusiveLock' AND granted`)).rows[0].n).toBeGreaterThan(0);
        await locker.query('ROLLBACK');
        expect((await patient.data('{ auditEvents(first: 1) { edges { node { eventId } } } }')).auditEvents.edges).toHaveLength(1);
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        await locker.end();
        await patient.stop();
      }
    });
  });

  describe('requests in flight per credential', () => {
    it('lets a credential run its bound at once, keeps a short line waiting, and refuses one more at once; another credential is not held up', async () => {
      // Arrange: requests held in flight by a lock another session holds on audit_events; with
      // one request running per credential, four may wait
      const held = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix, API_MAX_CONCURRENT_PER_CREDENTIAL: '1' });
      const other = (await createApiKey(db.pool, { name: 'other-dashboard', role: 'auditor' })).key;
      const locker = new Client({ connectionString: db.url });
      await locker.connect();
      const events = '{ auditEvents(first: 1) { edges { node { eventId } } } }';
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE');
        const running = held.post(events);
        const waitingOnLock = async () =>
          (await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND wait_event_type = 'Lock'`, [db.name])).rows[0].n as number;
        for (let i = 0; i < 200 && (await waitingOnLock()) < 1; i++) await sleep(25);
        const waiting = Array.from({ length: 3 }, () => held.post('{ teams { name } }'));
        // the fourth in line, whose client will go away
        const leaving = new AbortController();
        const aborted = fetch(held.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${held.adminKey}` }, body: JSON.stringify({ query: '{ teams { name } }' }), signal: leaving.signal }).catch((e: Error) => e);
        let answeredWhileWaiting = 0;
        for (const w of waiting) void w.then(() => answeredWhileWaiting++);
        await sleep(200);

        // Act
        const oneMore = await held.post('{ teams { name } }');
        const otherKey = await held.post('{ teams { name } }', undefined, { authorization: `Bearer ${other}` });
        // a waiting client that goes away leaves the line: one more may take its place
        leaving.abort();
        await aborted;
        await sleep(100);
        const inItsPlace = held.post('{ teams { name } }');
        await sleep(100);
        const answeredBeforeTheirTurn = answeredWhileWaiting;
        await locker.query('ROLLBACK');
        const finished = await Promise.all([running, ...waiting, inItsPlace]);

        // Assert
        expect(oneMore.status).toBe(429);
        expect(oneMore.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
        expect(otherKey.status).toBe(200);
        expect(answeredBeforeTheirTurn).toBe(0); // they waited for the running one, though they touch no locked table
        expect((await aborted as Error).name).toBe('AbortError');
        expect(finished.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        await locker.end();
        await held.stop();
      }
    });
  });
});
