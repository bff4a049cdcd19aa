import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createApiKey } from '../../src/auth/api-keys';
import { violationOpenedChannel } from '../../src/compliance/notify';
import { ingestDemo, RunningApi, startApi, type GraphQLResponse } from '../support/api';
import { govgraph } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';
import type { AccessLogEntry } from '../../src/server/access-log';

/**
 * The access log through the running API: every call (allowed, refused, failed, over HTTP and
 * WebSocket) is on the record as the auditor reads it with apiAccessLog, written in batches off
 * the request path, and the compliance report counts the refused ones per identity.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const OWNERS = 'query Owners($q: String!) { whoOwns(query: $q) { matchedBy teamName } teams { name } }';
const RULES = 'query Rules { rules { id } }';
const MY_EVENTS = 'query MyEvents { auditEvents(first: 5) { edges { node { eventId } } } }';
const READ_LOG = 'query ReadLog { apiAccessLog { totalCount } }';
const DEEP = `query Deep { teams { ${'members { edges { node { team { '.repeat(5)}name${' } } } }'.repeat(5)} } }`;
const SUPPRESS = 'mutation Suppress { suppressViolation(id: "999999999", reason: "accepted for the test") { id } }';
const SUBSCRIPTION = 'subscription Opened { violationOpened { id } }';
const LOG_PAGE = `query Log($filter: ApiAccessLogFilter, $first: Int) {
  apiAccessLog(filter: $filter, first: $first) {
    totalCount
    edges { node { id at identityKind identityId identityName role transport operationType operationName querySha256 variables outcome errorCode httpStatus rowsReturned durationMs clientAddress userAgent } }
  }
}`;

/** An entry as `apiAccessLog` answers it: the stored entry, its time as text and its outcome as the enum's name. */
type Entry = Omit<AccessLogEntry, 'at' | 'outcome'> & { id: string; at: string; outcome: 'ALLOWED' | 'REFUSED' | 'FAILED' };

describe('the access log through the running API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let redis: Redis;
  const prefix = testQueuePrefix();
  const started = new Date(Date.now() - 1000);
  const keys = {} as Record<'auditor' | 'member' | 'bot', { id: string; name: string; key: string }>;
  const answers: Record<string, { status: number; body: GraphQLResponse }> = {};
  let adminId: string;
  let botCalls = 0;

  /** A call with a User-Agent naming it, to find its entry. */
  const call = async (ua: string, query: string, opts: { key?: string | null; variables?: Record<string, unknown> } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': ua };
    const key = opts.key === undefined ? api.adminKey : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const res = await fetch(api.url, { method: 'POST', headers, body: JSON.stringify({ query, variables: opts.variables }) });
    answers[ua] = { status: res.status, body: (await res.json()) as GraphQLResponse };
    return answers[ua];
  };
  /** The entries written with this User-Agent, read straight from the table. */
  const rowsFor = async (ua: string) => (await db.pool.query('SELECT * FROM api_access_log WHERE user_agent = $1', [ua])).rows;
  const waitForRows = async (ua: string, n = 1, ms = 5000) => {
    const until = Date.now() + ms;
    let rows = await rowsFor(ua);
    while (rows.length < n && Date.now() < until) {
      await sleep(25);
      rows = await rowsFor(ua);
    }
    return rows;
  };

  /** A subscription over WebSocket (graphql-ws protocol) by `key`, ended by the client once the API relays events to it. */
  const subscribeAndLeave = async (key: string, ua: string) => {
    const ws = new WebSocket(api.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { 'user-agent': ua } });
    const messages: any[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    for (let i = 0; i < 200 && !messages.some((m) => m.type === 'connection_ack'); i++) await sleep(10);
    ws.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: SUBSCRIPTION, operationName: 'Opened', variables: { token: 'hunter2' } } }));
    const channel = violationOpenedChannel(prefix);
    for (let i = 0; i < 200 && ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] < 1; i++) await sleep(25);
    ws.send(JSON.stringify({ id: 's1', type: 'complete' }));
    await sleep(50);
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestDemo(db);
    redis = new Redis(REDIS_URL);
    api = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix, RATE_LIMIT_PER_MINUTE: '5' });
    adminId = /^ggk_([a-z0-9]{12})_/.exec(api.adminKey)![1];
    for (const [who, role, teams] of [['auditor', 'auditor'], ['member', 'team-member', ['TeamA']], ['bot', 'ownership-bot']] as const) {
      const made = await createApiKey(db.pool, { name: `log-${who}`, role, teams: teams ? [...teams] : undefined });
      keys[who] = { id: made.row.id, name: made.row.name, key: made.key };
    }

    // Arrange: a mix of calls by an admin, an auditor, a team member, a bot and no one
    await call('calls/admin-allowed', OWNERS, { variables: { q: 'churn-v7', token: 'hunter2', note: keys.member.key } });
    await call('calls/auditor-allowed', RULES, { key: keys.auditor.key });
    await call('calls/member-allowed', MY_EVENTS, { key: keys.member.key });
    await call('calls/member-forbidden', READ_LOG, { key: keys.member.key });
    await call('calls/member-too-deep', DEEP, { key: keys.member.key });
    await call('calls/no-key', RULES, { key: null });
    await call('calls/admin-failed', SUPPRESS);
    // the bot spends its budget of 5, and one more is refused
    for (; botCalls < 6; botCalls++) await call(`calls/bot-${botCalls}`, RULES, { key: keys.bot.key });
    await subscribeAndLeave(keys.member.key, 'calls/member-ws');
    await waitForRows('calls/member-ws');
  });
  afterAll(async () => {
    await api?.stop();
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    redis?.disconnect();
    await db?.drop();
  });

  describe('apiAccessLog as the auditor reads it', () => {
    let entries: Map<string, Entry[]>;
    beforeAll(async () => {
      const res = await call('calls/auditor-reads-log', LOG_PAGE, { key: keys.auditor.key, variables: { filter: { from: started.toISOString() }, first: 500 } });
      expect(res.body.errors).toBeUndefined();
      entries = new Map();
      for (const { node } of res.body.data.apiAccessLog.edges as { node: Entry }[]) {
        entries.set(node.userAgent ?? '', [...(entries.get(node.userAgent ?? '') ?? []), node]);
      }
    });
    const only = (ua: string) => {
      expect(entries.get(ua)).toHaveLength(1);
      return entries.get(ua)![0];
    };
    const client = { transport: 'http', clientAddress: expect.stringMatching(/127\.0\.0\.1$/), durationMs: expect.any(Number) };

    it('records an allowed query with its identity, operation, query hash, redacted variables, rows and client', () => {
      // Assert
      const teams = answers['calls/admin-allowed'].body.data.teams.length;
      expect(teams).toBeGreaterThan(1);
      expect(only('calls/admin-allowed')).toEqual({
        ...client,
        id: expect.any(String),
        at: expect.any(String),
        identityKind: 'api-key', identityId: adminId, identityName: 'test-admin', role: 'admin',
        operationType: 'query', operationName: 'Owners', querySha256: sha256(OWNERS),
        // a variable named token, and a value that is an API key, are not kept
        variables: { q: 'churn-v7', token: '[REDACTED]', note: '[REDACTED]' },
        outcome: 'ALLOWED', errorCode: null, httpStatus: 200, rowsReturned: teams,
        userAgent: 'calls/admin-allowed',
      });
      const at = new Date(only('calls/admin-allowed').at).getTime();
      expect(at).toBeGreaterThanOrEqual(started.getTime());
      expect(at).toBeLessThanOrEqual(Date.now());
      expect(JSON.stringify([...entries.values()])).not.toContain(keys.member.key);
    });

    it("records each role's allowed calls with the rows they returned", () => {
      // Assert
      expect(only('calls/auditor-allowed')).toMatchObject({
        ...client, identityId: keys.auditor.id, identityName: 'log-auditor', role: 'auditor', operationName: 'Rules', querySha256: sha256(RULES),
        outcome: 'ALLOWED', rowsReturned: answers['calls/auditor-allowed'].body.data.rules.length,
      });
      const events = answers['calls/member-allowed'].body.data.auditEvents.edges.length;
      expect(events).toBeGreaterThan(0);
      expect(only('calls/member-allowed')).toMatchObject({
        ...client, identityId: keys.member.id, role: 'team-member', operationType: 'query', operationName: 'MyEvents', outcome: 'ALLOWED', rowsReturned: events,
      });
    });

    it('a team member asking apiAccessLog is FORBIDDEN, and that refusal is itself recorded', () => {
      // Assert
      const answer = answers['calls/member-forbidden'];
      expect(answer.body.data ?? null).toBeNull();
      expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(only('calls/member-forbidden')).toMatchObject({
        ...client, identityId: keys.member.id, identityName: 'log-member', role: 'team-member', operationType: 'query', operationName: 'ReadLog',
        querySha256: sha256(READ_LOG), outcome: 'REFUSED', errorCode: 'FORBIDDEN', httpStatus: answer.status, rowsReturned: 0,
      });
    });

    it('records refusals before any operation runs: 401 without a key, 400 for a query too deep, 429 past the rate limit', () => {
      // Assert
      expect(answers['calls/no-key'].status).toBe(401);
      expect(only('calls/no-key')).toMatchObject({
        ...client, identityKind: null, identityId: null, identityName: null, role: null, operationType: null, outcome: 'REFUSED', errorCode: 'UNAUTHENTICATED', httpStatus: 401,
      });
      expect(answers['calls/member-too-deep'].status).toBe(400);
      expect(only('calls/member-too-deep')).toMatchObject({
        ...client, identityId: keys.member.id, role: 'team-member', querySha256: sha256(DEEP), outcome: 'REFUSED', errorCode: 'GRAPHQL_VALIDATION_FAILED', httpStatus: 400,
      });
      expect(answers['calls/bot-5'].status).toBe(429);
      expect(only('calls/bot-5')).toMatchObject({ ...client, identityId: keys.bot.id, role: 'ownership-bot', outcome: 'REFUSED', errorCode: 'RATE_LIMITED', httpStatus: 429 });
      expect([0, 1, 2, 3, 4].map((i) => only(`calls/bot-${i}`).outcome)).toEqual(Array(5).fill('ALLOWED'));
    });

    it('records a call that failed as FAILED with its code', () => {
      // Assert
      expect(answers['calls/admin-failed'].body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(only('calls/admin-failed')).toMatchObject({
        ...client, identityId: adminId, role: 'admin', operationType: 'mutation', operationName: 'Suppress', querySha256: sha256(SUPPRESS), outcome: 'FAILED', errorCode: 'NOT_FOUND',
      });
    });

    it('records a WebSocket subscription, once, when it ends, its variables redacted', () => {
      // Assert
      expect(only('calls/member-ws')).toMatchObject({
        transport: 'ws', clientAddress: expect.stringMatching(/127\.0\.0\.1$/), identityId: keys.member.id, role: 'team-member',
        operationType: 'subscription', operationName: 'Opened', querySha256: sha256(SUBSCRIPTION), variables: { token: '[REDACTED]' },
        outcome: 'ALLOWED', errorCode: null, httpStatus: null, rowsReturned: 0,
      });
    });
  });

  describe('writes', () => {
    it('are made off the request path: calls are answered while the log table is locked, and recorded once it is free', async () => {
      // Arrange: another session holds the table, as a long maintenance statement would
      const locker = new Client({ connectionString: db.url });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE api_access_log IN ACCESS EXCLUSIVE MODE');

        // Act
        const answered = [await call('calls/while-locked-0', RULES), await call('calls/while-locked-1', RULES, { key: keys.auditor.key })];
        let blockedWriter = 0;
        for (let i = 0; i < 200 && blockedWriter === 0; i++) {
          await sleep(25);
          const { rows } = await db.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO api_access_log%'`,
            [db.name],
          );
          blockedWriter = rows[0].n;
        }
        await locker.query('ROLLBACK');
        const recorded = [await waitForRows('calls/while-locked-0'), await waitForRows('calls/while-locked-1')];

        // Assert
        expect(answered.map((a) => [a.status, a.body.errors])).toEqual([[200, undefined], [200, undefined]]);
        expect(blockedWriter).toBe(1);
        expect(recorded.map((rows) => rows.length)).toEqual([1, 1]);
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        await locker.end();
      }
    });

    it('reach the table within about a second (the batch interval) while the API keeps running: a crash loses at most that', async () => {
      // Act
      await call('calls/fresh', RULES);
      const answeredAt = Date.now();
      const rows = await waitForRows('calls/fresh', 1, 2500);
      const waited = Date.now() - answeredAt;

      // Assert: one interval (1 s) plus the write
      expect(rows).toHaveLength(1);
      expect(waited).toBeLessThan(2500);
      expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
    });
  });

  describe('the compliance report', () => {
    it('`govgraph report --access-log` shows the refused calls made here, per identity, with their codes', async () => {
      // Arrange
      const to = new Date(Date.now() + 60_000);
      const label = (k: { id: string; name: string }) => `api-key:${k.name} (${k.id})`;

      // Act
      const r = await govgraph(['report', '--from', started.toISOString(), '--to', to.toISOString(), '--format', 'csv', '--access-log'], { DATABASE_URL: db.url });

      // Assert
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\r\n');
      const identities = lines.filter((l) => l.startsWith('refused_identity,')).map((l) => l.split(',').slice(0, 8).join(','));
      expect(identities).toEqual([
        `refused_identity,${label(keys.member)},team-member,,,,,2`,
        `refused_identity,${label(keys.bot)},ownership-bot,,,,,1`,
        `refused_identity,(no credential),,,,,,1`,
      ]);
      const codes = lines.filter((l) => l.startsWith('refused_code,')).map((l) => [l.split(',')[1], l.split(',')[7], l.split(',').at(-1)]);
      expect(codes).toEqual([
        [label(keys.member), '1', 'FORBIDDEN'],
        [label(keys.member), '1', 'GRAPHQL_VALIDATION_FAILED'],
        [label(keys.bot), '1', 'RATE_LIMITED'],
        ['(no credential)', '1', 'UNAUTHENTICATED'],
      ]);
    });
  });
});
