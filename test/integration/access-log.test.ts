import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { graphql, type GraphQLSchema } from 'graphql';
import { Pool } from 'pg';
import type { Identity } from '../../src/auth/identity';
import { ScopedSession, scopeOf } from '../../src/auth/scoped-session';
import { whoOwns } from '../../src/ownership/who-owns';
import { buildComplianceReport, renderReport, REPORT_FORMATS } from '../../src/report';
import {
  accessLogHttpMiddleware,
  accessLogPlugin,
  createAccessLogWriter,
  querySha256,
  REDACTED,
  refusedRequestEntry,
  subscriptionRecorder,
  type AccessLogEntry,
} from '../../src/server/access-log';
import { createContext } from '../../src/server/context';
import { buildGovgraphSchema } from '../../src/server/schema';
import { govgraph } from '../support/cli';
import { adminQuery, createTestDatabase, databaseUrl, templateDb, TestDatabase } from '../support/postgres';

const AUDITOR: Identity = { kind: 'api-key', id: 'k0auditor000', name: 'audit-desk', role: 'auditor', teams: [], expiresAt: null };
const BOT: Identity = { kind: 'api-key', id: 'k0ownerbot00', name: 'owner-bot', role: 'ownership-bot', teams: [], expiresAt: null };
const ANA: Identity = { kind: 'oidc', id: 'sub-ana', name: 'ana@example.com', role: 'team-member', teams: ['vision'], expiresAt: null };

/** A log that keeps what it was told, to read back what the writer warned about. */
function memoryLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
}

function entry(over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    at: new Date(),
    identityKind: 'api-key',
    identityId: BOT.id,
    identityName: BOT.name,
    role: BOT.role,
    transport: 'http',
    operationType: 'query',
    operationName: 'WhoOwns',
    querySha256: querySha256('query WhoOwns { whoOwns(query: "x") { team } }'),
    variables: null,
    outcome: 'allowed',
    errorCode: null,
    httpStatus: 200,
    rowsReturned: 0,
    durationMs: 3.2,
    clientAddress: '10.0.0.7',
    userAgent: 'bot/1.0',
    ...over,
  };
}

const countRows = async (pool: Pool, where = 'true') => Number((await pool.query(`SELECT count(*) AS n FROM api_access_log WHERE ${where}`)).rows[0].n);
/** A DateTime as the schema serialises it (executing the schema directly gives the value before JSON). */
const iso = (v: Date | string) => new Date(v).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the API access log', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  describe('writer', () => {
    it('writes in batches of one statement each, and writes what is left when stopped', async () => {
      // Arrange: no tick within the test; count the statements the writer sends to the real pool
      let statements = 0;
      const counted = { query: (text: string, values?: unknown[]) => (statements++, db.pool.query(text, values)) };
      const writer = createAccessLogWriter(counted as unknown as Pool, { flushEveryMs: 60_000, maxBatch: 3 });
      const before = await countRows(db.pool);

      // Act: 7 entries, then stop
      for (let i = 0; i < 7; i++) writer.record(entry({ operationName: `batch-${i}` }));
      await writer.stop();

      // Assert: 7 rows in 3 statements (3 + 3 + 1), in the order recorded
      expect(await countRows(db.pool)).toBe(before + 7);
      expect(statements).toBe(3);
      const { rows } = await db.pool.query(`SELECT operation_name FROM api_access_log WHERE operation_name LIKE 'batch-%' ORDER BY id`);
      expect(rows.map((r) => r.operation_name)).toEqual(['batch-0', 'batch-1', 'batch-2', 'batch-3', 'batch-4', 'batch-5', 'batch-6']);
    });

    it('has written what was recorded more than a tick ago without being stopped (a crash loses at most the last tick)', async () => {
      // Arrange
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 200 });
      try {
        // Act
        writer.record(entry({ operationName: 'before-crash' }));
        await sleep(700);

        // Assert: in the table, read by another connection, while the writer still runs
        expect(await countRows(db.pool, `operation_name = 'before-crash'`)).toBe(1);
      } finally {
        await writer.stop();
      }
    });

    it('keeps a batch the database refused and writes it when the database is back, dropping the oldest past the bound', async () => {
      // Arrange: a writer pointed at a database that does not exist yet
      const name = `${db.name}_late`;
      const latePool = new Pool({ connectionString: databaseUrl(name), max: 2 });
      latePool.on('error', () => undefined);
      const log = memoryLog();
      const writer = createAccessLogWriter(latePool, { flushEveryMs: 60_000, maxBuffered: 5, log });
      try {
        for (let i = 0; i < 8; i++) writer.record(entry({ operationName: `late-${i}` }));

        // Act 1: the write fails
        await expect(writer.flush()).rejects.toThrow(/does not exist/);

        // Act 2: the database appears; the next flush writes the batch kept
        await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateDb()}`);
        await writer.flush();

        // Assert: the 5 newest entries, once each; the 3 oldest dropped, and the warning says how many
        const { rows } = await latePool.query('SELECT operation_name FROM api_access_log ORDER BY id');
        expect(rows.map((r) => r.operation_name)).toEqual(['late-3', 'late-4', 'late-5', 'late-6', 'late-7']);
        expect(log.lines.filter((l) => l.obj.dropped !== undefined).map((l) => l.obj.dropped)).toEqual([3]);
        expect(log.lines.some((l) => /write failed; retrying/.test(l.msg))).toBe(true);
      } finally {
        await writer.stop();
        await latePool.end();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    });

    it('writes the good entries of a batch when the database refuses one of them, and drops that one', async () => {
      // Arrange: a role the table does not know, as a newer API process might record
      const log = memoryLog();
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 60_000, log });

      // Act
      writer.record(entry({ operationName: 'mixed-good-1' }));
      writer.record(entry({ operationName: 'mixed-bad', role: 'superuser' as never }));
      writer.record(entry({ operationName: 'mixed-good-2' }));
      await writer.stop();

      // Assert
      const { rows } = await db.pool.query(`SELECT operation_name FROM api_access_log WHERE operation_name LIKE 'mixed-%' ORDER BY id`);
      expect(rows.map((r) => r.operation_name)).toEqual(['mixed-good-1', 'mixed-good-2']);
      expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    });

    it('never throws from record, keeps the good entries beside a broken one, and records nothing after stop', async () => {
      // Arrange
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 60_000 });

      // Act / Assert: a running writer
      expect(() => writer.record(null as never)).not.toThrow();
      writer.record(entry({ operationName: 'beside-broken' }));
      await writer.flush();
      expect(await countRows(db.pool, `operation_name = 'beside-broken'`)).toBe(1);

      // Act / Assert: a stopped one
      await writer.stop();
      expect(() => writer.record(entry({ operationName: 'after-stop' }))).not.toThrow();
      await writer.flush();
      expect(await countRows(db.pool, `operation_name = 'after-stop'`)).toBe(0);
    });
  });

  describe('table', () => {
    beforeAll(async () => {
      const writer = createAccessLogWriter(db.pool);
      writer.record(entry({ operationName: 'kept' }));
      await writer.stop();
    });

    it.each([
      ['UPDATE', `UPDATE api_access_log SET outcome = 'refused', error_code = 'FORBIDDEN'`],
      ['DELETE', 'DELETE FROM api_access_log'],
      ['TRUNCATE', 'TRUNCATE api_access_log'],
    ])('refuses %s', async (_label, sql) => {
      // Act / Assert
      await expect(db.pool.query(sql)).rejects.toThrow(/append-only/);
      expect(await countRows(db.pool, `operation_name = 'kept' AND outcome = 'allowed'`)).toBe(1);
    });

    it('refuses rows past its bounds, whoever inserts them', async () => {
      // Act / Assert
      await expect(db.pool.query(`INSERT INTO api_access_log (at, transport, outcome, user_agent) VALUES (now(), 'http', 'allowed', repeat('x', 513))`)).rejects.toThrow(/check constraint/);
      await expect(db.pool.query(`INSERT INTO api_access_log (at, transport, outcome) VALUES (now(), 'http', 'refused')`)).rejects.toThrow(/check constraint/);
    });
  });

  describe('Apollo plugin', () => {
    const typeDefs = `
      type Team { name: String! members: [String!]! }
      type Query { teams: [Team!]! secret: String forbidden: String broken: String }
    `;
    const resolvers = {
      Query: {
        teams: () => [{ name: 'vision', members: ['a'] }, { name: 'nlp', members: [] }],
        forbidden: () => {
          throw Object.assign(new Error('outside your role'), { extensions: { code: 'FORBIDDEN' } });
        },
        broken: () => {
          throw new Error('database went away');
        },
      },
    };
    let server: ApolloServer<any>;
    let rows: any[];

    beforeAll(async () => {
      // Arrange: a real Apollo Server with the plugin; requests as createApp's context describes them
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 60_000 });
      server = new ApolloServer({ typeDefs, resolvers, plugins: [accessLogPlugin(writer)] });
      await server.start();
      const contextValue = (identity?: Identity) => ({ identity, client: { address: '198.51.100.4', userAgent: 'dash/2', transport: 'http' as const } });

      // Act
      await server.executeOperation({ query: 'query Teams { teams { name } }', variables: { password: 'p', team: 'vision' } }, { contextValue: contextValue(BOT) });
      await server.executeOperation({ query: 'query Forbidden { forbidden }' }, { contextValue: contextValue(ANA) });
      await server.executeOperation({ query: 'query Broken { broken }' }, { contextValue: contextValue(AUDITOR) });
      await server.executeOperation({ query: 'query { teams { ' }, { contextValue: contextValue(BOT) });
      await server.executeOperation({ query: 'query Nope { nope }' }, { contextValue: contextValue(BOT) });
      await server.executeOperation({ query: 'query Anonymous { teams { name } }' }, { contextValue: {} });
      await writer.stop();
      ({ rows } = await db.pool.query(
        `SELECT identity_kind, identity_id, identity_name, role, transport, operation_type, operation_name, query_sha256, variables,
                outcome, error_code, http_status, rows_returned, duration_ms, client_address, user_agent
           FROM api_access_log WHERE client_address = '198.51.100.4' OR operation_name = 'Anonymous' ORDER BY id`,
      ));
    });
    afterAll(() => server.stop());

    it('records an allowed query with its identity, operation, hash, redacted variables, rows and client', () => {
      // Assert
      expect(rows[0]).toMatchObject({
        identity_kind: 'api-key', identity_id: BOT.id, identity_name: BOT.name, role: 'ownership-bot', transport: 'http',
        operation_type: 'query', operation_name: 'Teams', query_sha256: querySha256('query Teams { teams { name } }'),
        variables: { password: REDACTED, team: 'vision' }, outcome: 'allowed', error_code: null, http_status: 200, rows_returned: 2,
        client_address: '198.51.100.4', user_agent: 'dash/2',
      });
      expect(rows[0].duration_ms).toBeGreaterThanOrEqual(0);
    });

    it('records a FORBIDDEN field as refused and an internal error as failed', () => {
      // Assert
      expect(rows[1]).toMatchObject({ identity_id: ANA.id, role: 'team-member', operation_name: 'Forbidden', outcome: 'refused', error_code: 'FORBIDDEN' });
      expect(rows[2]).toMatchObject({ identity_id: AUDITOR.id, operation_name: 'Broken', outcome: 'failed', error_code: 'INTERNAL_SERVER_ERROR' });
    });

    it('records parse and validation failures as refused, with no operation and the HTTP status answered', () => {
      // Assert
      expect(rows[3]).toMatchObject({ operation_type: null, operation_name: null, outcome: 'refused', error_code: 'GRAPHQL_PARSE_FAILED', http_status: 400, rows_returned: 0 });
      expect(rows[3].query_sha256).toBe(querySha256('query { teams { '));
      expect(rows[4]).toMatchObject({ operation_type: null, operation_name: null, outcome: 'refused', error_code: 'GRAPHQL_VALIDATION_FAILED', http_status: 400 });
    });

    it('records a request without identity or client with those fields null', () => {
      // Assert
      expect(rows[5]).toMatchObject({ identity_kind: null, identity_id: null, identity_name: null, role: null, client_address: null, operation_name: 'Anonymous', outcome: 'allowed' });
    });
  });

  describe('over HTTP', () => {
    it('records each request once: refusals before Apollo by the middleware, the rest by the plugin', async () => {
      // Arrange: the order createApp uses: log, credential check, body limit, Apollo (context in res.locals)
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 60_000 });
      const apollo = new ApolloServer<any>({ typeDefs: 'type Query { ping: String }', resolvers: { Query: { ping: () => 'pong' } }, plugins: [accessLogPlugin(writer)] });
      await apollo.start();
      const app = express();
      app.use(
        '/graphql',
        accessLogHttpMiddleware(writer),
        (req, res, next) => {
          if (req.headers.authorization !== 'Bearer good') {
            res.status(401).json({ errors: [{ message: 'no credential', extensions: { code: 'UNAUTHENTICATED' } }] });
            return;
          }
          res.locals.identity = BOT;
          next();
        },
        express.json({ limit: '200b' }),
        expressMiddleware(apollo, {
          context: async ({ req, res }) => {
            const ctx = { identity: BOT, client: { address: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null, transport: 'http' as const } };
            res.locals.graphqlContext = ctx;
            return ctx;
          },
        }),
      );
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const post = (body: string, auth?: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'http-test/1', ...(auth ? { authorization: auth } : {}) }, body }).then((r) => r.status);

      try {
        // Act
        const statuses = [
          await post(JSON.stringify({ query: 'query HttpPing { ping }' })),
          await post(JSON.stringify({ query: 'query HttpPing { ping }' }), 'Bearer good'),
          await post(JSON.stringify({ query: `query HttpBig { ping } # ${'x'.repeat(400)}` }), 'Bearer good'),
          await post(JSON.stringify({ nothing: true }), 'Bearer good'),
        ];
        await writer.flush();

        // Assert
        expect(statuses).toEqual([401, 200, 413, 400]);
        const { rows } = await db.pool.query(
          `SELECT identity_id, operation_name, outcome, error_code, http_status FROM api_access_log WHERE user_agent = 'http-test/1' ORDER BY id`,
        );
        expect(rows).toEqual([
          { identity_id: null, operation_name: null, outcome: 'refused', error_code: 'UNAUTHENTICATED', http_status: 401 },
          { identity_id: BOT.id, operation_name: 'HttpPing', outcome: 'allowed', error_code: null, http_status: 200 },
          { identity_id: BOT.id, operation_name: null, outcome: 'refused', error_code: 'BAD_REQUEST', http_status: 413 },
          { identity_id: BOT.id, operation_name: null, outcome: 'refused', error_code: 'BAD_REQUEST', http_status: 400 },
        ]);
      } finally {
        await new Promise((r) => server.close(r));
        await apollo.stop();
        await writer.stop();
      }
    });
  });

  describe('reading it', () => {
    let schema: GraphQLSchema;
    const T0 = Date.parse('2031-03-01T00:00:00Z');
    const at = (minutes: number) => new Date(T0 + minutes * 60_000);

    beforeAll(async () => {
      schema = await buildGovgraphSchema();
      // Arrange: a morning of calls, written as the API writes them
      const writer = createAccessLogWriter(db.pool, { flushEveryMs: 60_000 });
      writer.record(refusedRequestEntry({ at: at(1), transport: 'http', status: 401, code: 'UNAUTHENTICATED', address: '203.0.113.1', userAgent: 'curl/8', durationMs: 0.4 }));
      writer.record(entry({ at: at(2), ...ids(ANA), outcome: 'refused', errorCode: 'FORBIDDEN', operationName: 'Keys' }));
      writer.record(entry({ at: at(3), ...ids(ANA), outcome: 'allowed', operationName: 'Violations' }));
      writer.record(refusedRequestEntry({ at: at(4), transport: 'http', status: 429, code: 'RATE_LIMITED', identity: BOT, address: '10.0.0.7', userAgent: 'bot/1.0', durationMs: 0.2 }));
      writer.record(entry({ at: at(5), ...ids(ANA), outcome: 'refused', errorCode: 'FORBIDDEN', operationName: 'Keys' }));
      writer.record(entry({ at: at(6), ...ids(ANA), outcome: 'refused', errorCode: 'QUERY_TOO_COMPLEX', operationName: 'Huge' }));
      writer.record(refusedRequestEntry({ at: at(7), transport: 'http', status: 401, code: 'UNAUTHENTICATED', address: '203.0.113.2', userAgent: 'curl/8', durationMs: 0.3 }));
      writer.record(entry({ at: at(8), outcome: 'failed', errorCode: 'INTERNAL_SERVER_ERROR', operationName: 'WhoOwns' }));
      // a WebSocket subscription: subscribed, 2 events, then the client left
      const sub = subscriptionRecorder(writer, { identity: ANA, address: '192.0.2.8', userAgent: 'board/3', query: 'subscription S { violationOpened { id } }', operationName: 'S', variables: { token: 'x' } });
      sub.start('subscription');
      sub.next();
      sub.next();
      sub.end();
      await writer.stop();
    });

    function ids(identity: Identity) {
      return { identityKind: identity.kind, identityId: identity.id, identityName: identity.name, role: identity.role };
    }

    /** Executes against the schema as an HTTP request of `identity` would: its scoped database session in the context. */
    async function run(identity: Identity, source: string, variableValues?: Record<string, unknown>) {
      const session = new ScopedSession(db.pool, scopeOf(identity), { teamTagKey: 'team', statementTimeoutMs: 5000 });
      const contextValue = createContext({
        db: session,
        identity,
        client: { address: null, userAgent: null, transport: 'http' },
        teamTagKey: 'team',
        whoOwns,
        ownershipDb: new ScopedSession(db.pool, scopeOf(identity), { teamTagKey: 'team', statementTimeoutMs: 5000 }),
        openSession: () => new ScopedSession(db.pool, scopeOf(identity), { teamTagKey: 'team', statementTimeoutMs: 5000 }),
      });
      try {
        return await graphql({ schema, source, variableValues, contextValue });
      } finally {
        await Promise.all([session.end(), contextValue.ownershipDb.end()]);
      }
    }

    const PAGE = `query Log($filter: ApiAccessLogFilter, $first: Int, $after: String) {
      apiAccessLog(filter: $filter, first: $first, after: $after) {
        totalCount
        edges { cursor node { at identityName role operationName outcome errorCode httpStatus transport } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const window = { from: at(0).toISOString(), to: at(60).toISOString() };

    it('pages the refused calls newest first with cursors, each call once', async () => {
      // Act
      const first = await run(AUDITOR, PAGE, { filter: { ...window, outcome: 'REFUSED' }, first: 4 });
      const next = await run(AUDITOR, PAGE, { filter: { ...window, outcome: 'REFUSED' }, first: 4, after: (first.data as any).apiAccessLog.pageInfo.endCursor });

      // Assert
      expect(first.errors).toBeUndefined();
      const a = (first.data as any).apiAccessLog;
      const b = (next.data as any).apiAccessLog;
      expect(a.totalCount).toBe(6);
      expect(a.pageInfo.hasNextPage).toBe(true);
      expect(b.pageInfo.hasNextPage).toBe(false);
      const codes = [...a.edges, ...b.edges].map((e: any) => [iso(e.node.at), e.node.errorCode]);
      expect(codes).toEqual([
        [at(7).toISOString(), 'UNAUTHENTICATED'],
        [at(6).toISOString(), 'QUERY_TOO_COMPLEX'],
        [at(5).toISOString(), 'FORBIDDEN'],
        [at(4).toISOString(), 'RATE_LIMITED'],
        [at(2).toISOString(), 'FORBIDDEN'],
        [at(1).toISOString(), 'UNAUTHENTICATED'],
      ]);
    });

    it('narrows by identity, role, operation name, error code and time', async () => {
      // Act
      const byName = await run(AUDITOR, PAGE, { filter: { ...window, identityName: ANA.name, errorCode: 'FORBIDDEN', operationName: 'Keys' } });
      const byRole = await run(AUDITOR, PAGE, { filter: { ...window, role: 'ownership-bot' } });
      const byTime = await run(AUDITOR, PAGE, { filter: { from: at(3).toISOString(), to: at(5).toISOString() } });
      const ws = await run(AUDITOR, PAGE, { filter: { identityId: ANA.id } });

      // Assert
      expect((byName.data as any).apiAccessLog.edges.map((e: any) => iso(e.node.at))).toEqual([at(5).toISOString(), at(2).toISOString()]);
      expect((byRole.data as any).apiAccessLog.edges.map((e: any) => [e.node.errorCode, e.node.httpStatus])).toEqual([['INTERNAL_SERVER_ERROR', 200], ['RATE_LIMITED', 429]]);
      expect((byTime.data as any).apiAccessLog.edges.map((e: any) => e.node.operationName)).toEqual([null, 'Violations']);
      const subscription = (ws.data as any).apiAccessLog.edges.find((e: any) => e.node.transport === 'ws');
      expect(subscription.node).toMatchObject({ operationName: 'S', outcome: 'ALLOWED', httpStatus: null, role: 'team-member' });
    });

    it('records a subscription once, with the events it delivered and its variables redacted', async () => {
      // Act
      const { rows } = await db.pool.query(`SELECT operation_type, rows_returned, variables, outcome FROM api_access_log WHERE transport = 'ws'`);

      // Assert
      expect(rows).toEqual([{ operation_type: 'subscription', rows_returned: 2, variables: { token: REDACTED }, outcome: 'allowed' }]);
    });

    it('refuses a cursor it did not issue, and a NUL in a filter, as bad input', async () => {
      // Act
      const forged = await run(AUDITOR, PAGE, { after: Buffer.from(JSON.stringify(['access-log', '2031-03-01T00:00:00.000000Z', '99999999999999999999'])).toString('base64url') });
      const overflow = await run(AUDITOR, PAGE, { after: Buffer.from(JSON.stringify(['access-log', '2031-03-01T00:00:00.000000Z', '9999999999999999999'])).toString('base64url') });
      const nul = await run(AUDITOR, PAGE, { filter: { identityName: 'a\u0000b' } });

      // Assert
      for (const result of [forged, overflow, nul]) {
        expect(result.errors?.map((e) => e.originalError?.name)).toEqual(['InvalidInputError']);
      }
    });

    it('cannot be read from a team-scoped database session at all', async () => {
      // Arrange
      const session = new ScopedSession(db.pool, scopeOf(ANA), { teamTagKey: 'team', statementTimeoutMs: 5000 });

      // Act / Assert
      try {
        await expect(session.query('SELECT count(*) FROM api_access_log')).rejects.toThrow(/permission denied/);
      } finally {
        await session.end();
      }
    });

    it('gives the compliance report a section of refused calls per identity, in every format, only when asked', async () => {
      // Act
      const report = await buildComplianceReport(db.pool, { from: at(0), to: at(60), generatedAt: at(61), accessLog: true });
      const without = await buildComplianceReport(db.pool, { from: at(0), to: at(60), generatedAt: at(61) });

      // Assert
      expect(report.refusedApiCalls).toEqual([
        {
          identityKind: 'oidc', identityId: ANA.id, identityName: ANA.name, role: 'team-member', total: 3,
          byErrorCode: [{ code: 'FORBIDDEN', count: 2 }, { code: 'QUERY_TOO_COMPLEX', count: 1 }],
          first: at(2).toISOString(), last: at(6).toISOString(),
        },
        {
          identityKind: null, identityId: null, identityName: null, role: null, total: 2,
          byErrorCode: [{ code: 'UNAUTHENTICATED', count: 2 }], first: at(1).toISOString(), last: at(7).toISOString(),
        },
        {
          identityKind: 'api-key', identityId: BOT.id, identityName: BOT.name, role: 'ownership-bot', total: 1,
          byErrorCode: [{ code: 'RATE_LIMITED', count: 1 }], first: at(4).toISOString(), last: at(4).toISOString(),
        },
      ]);
      expect(without.refusedApiCalls).toBeUndefined();
      const md = renderReport(report, 'md');
      expect(md).toContain('## Refused API calls');
      expect(md).toContain(`| oidc:ana@example.com (sub-ana) | team-member | FORBIDDEN 2, QUERY\\_TOO\\_COMPLEX 1 | ${at(2).toISOString()} | ${at(6).toISOString()} | 3 |`);
      expect(md).toContain(`| (no credential) | - | UNAUTHENTICATED 2 |`);
      const csv = renderReport(report, 'csv').split('\r\n');
      expect(csv).toContain(`refused_identity,api-key:owner-bot (k0ownerbot00),ownership-bot,,,,,1,,,,,,${at(4).toISOString()}/${at(4).toISOString()}`);
      expect(csv).toContain('refused_code,oidc:ana@example.com (sub-ana),team-member,,,,,2,,,,,,FORBIDDEN');
      const html = renderReport(report, 'html');
      expect(html).toContain('<h2>Refused API calls</h2>');
      expect(html).toContain('<td class="id">oidc:ana@example.com (sub-ana)</td>');
      expect(JSON.parse(renderReport(report, 'json')).refusedApiCalls).toHaveLength(3);
      for (const format of REPORT_FORMATS) expect(renderReport(without, format)).not.toMatch(/Refused API calls|refused_identity|refusedApiCalls/);
    });

    it('`govgraph report --access-log` prints the section; without the flag it does not', async () => {
      // Arrange
      const args = ['report', '--from', at(0).toISOString(), '--to', at(60).toISOString(), '--format', 'csv'];

      // Act
      const withFlag = await govgraph([...args, '--access-log'], { DATABASE_URL: db.url });
      const withoutFlag = await govgraph(args, { DATABASE_URL: db.url });

      // Assert
      expect(withFlag.code).toBe(0);
      expect(withFlag.stdout.split('\r\n').filter((l) => l.startsWith('refused_identity,'))).toEqual([
        `refused_identity,oidc:ana@example.com (sub-ana),team-member,,,,,3,,,,,,${at(2).toISOString()}/${at(6).toISOString()}`,
        `refused_identity,(no credential),,,,,,2,,,,,,${at(1).toISOString()}/${at(7).toISOString()}`,
        `refused_identity,api-key:owner-bot (k0ownerbot00),ownership-bot,,,,,1,,,,,,${at(4).toISOString()}/${at(4).toISOString()}`,
      ]);
      expect(withoutFlag.code).toBe(0);
      expect(withoutFlag.stdout).not.toContain('refused_');
    });
  });
});
