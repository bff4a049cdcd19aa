import { createClient, type Client } from 'graphql-ws/client';
import pino from 'pino';
import WebSocket from 'ws';
import type { EvaluationOptions } from '../../src/compliance/evaluate';
import { DEMO_ACCOUNT } from '../../src/demo/story';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { formatError } from '../../src/server/errors';
import { ingestDemo, type GraphQLResponse, type RunningApi, startApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * Hostile or broken input never becomes an internal error: text Postgres cannot hold (NUL bytes,
 * unpaired surrogates) in any argument, forged cursors of every list, ids past bigint and absurd
 * dates are BAD_USER_INPUT with a message, and nothing is logged at error level. Exact-match
 * lookups match exactly.
 */

const A = DEMO_ACCOUNT;
const ROLE = 'SageMakerStudioDeveloperTeamBRole';
const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = '\udc00';

/** A cursor as the lists encode them (base64url of a JSON array), with any content. */
const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

describe('bad input over the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const logLines: string[] = [];
  const clients: Client[] = [];
  let violationId: string;

  /** Log records at error level or above (pino: error 50, fatal 60). */
  const errorLogs = () => logLines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);

  /**
   * The client's request: every credential the API needs comes from startApi (its post() sends the
   * admin key); over WebSocket the same credential goes in connection_init.
   */
  const post = (query: string, variables?: Record<string, unknown>) => api.post(query, variables);
  const wsClient = () => {
    const client = createClient({
      url: api.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${api.adminKey}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  };

  /** The answer a client should get for bad input: HTTP 200 or 400, only BAD_USER_INPUT errors, each with a message. */
  const expectRefused = (res: { status: number; body: GraphQLResponse }, argument?: string | RegExp) => {
    expect([200, 400]).toContain(res.status);
    expect(res.body.errors?.length).toBeGreaterThan(0);
    for (const e of res.body.errors ?? []) {
      expect(e.extensions?.code).toBe('BAD_USER_INPUT');
      expect(e.message.length).toBeGreaterThan(10);
    }
    if (argument !== undefined) expect(res.body.errors![0].message).toMatch(argument);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
    await ingestDemo(db, { evaluation });
    const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    api = await startApi(db, { log });
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id::text FROM violations WHERE status = 'OPEN' ORDER BY id LIMIT 1`);
    violationId = rows[0].id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await api?.stop();
    await db?.drop();
  });
  beforeEach(() => {
    logLines.length = 0;
  });

  describe('text Postgres cannot hold (NUL, unpaired surrogates)', () => {
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ['an event filter string', 'query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }', { f: { eventName: NUL } }, /^filter\.eventName /],
      ['a principal ARN', 'query($arn: String!) { principal(arn: $arn) { arn } }', { arn: `arn:aws:iam::${A}:role/${NUL}` }, /^arn /],
      ['a whoOwns query', 'query($q: String!) { whoOwns(query: $q) { message } }', { q: NUL }, /^query /],
      ['a violation id', 'query($id: ID!) { violation(id: $id) { id } }', { id: `1${NUL}` }, /^id /],
      ['a team name', 'query($n: String!) { team(name: $n) { name } }', { n: NUL }, /^name /],
      ['a resource tag filter', 'query($f: ResourceFilter) { resources(filter: $f) { totalCount } }', { f: { tagKey: 'team', tagValue: NUL } }, /^filter\.tagValue /],
      ['a violation filter', 'query($f: ViolationFilter) { violations(filter: $f) { totalCount } }', { f: { team: NUL } }, /^filter\.team /],
      ['a policyGrants principal', 'query($p: String) { policyGrants(principalArn: $p) { totalCount } }', { p: `arn:aws:iam::${A}:role/${NUL}` }, /^principalArn /],
      [
        'a context value in a list of input objects',
        'query($c: [ContextEntryInput!]) { whoCan(action: "sagemaker:CreateTrainingJob", context: $c) { principalArn } }',
        { c: [{ key: 'sagemaker:VpcSubnets', values: ['subnet-1', NUL] }] },
        /^context\[0\]\.values\[1\] /,
      ],
      [
        'a JSON policy document (a value deep inside)',
        'query($p: JSON) { simulate(principalArn: "arn:aws:iam::111122223333:role/R", action: "sagemaker:DeleteExperiment", resourcePolicy: $p) { decision } }',
        { p: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: [`arn:aws:s3:::${NUL}`] }] } },
        /^resourcePolicy\.Statement\[0\]\.Resource\[0\] /,
      ],
      [
        'a JSON policy document (a key)',
        'query($p: JSON) { simulate(principalArn: "arn:aws:iam::111122223333:role/R", action: "sagemaker:DeleteExperiment", sessionPolicy: $p) { decision } }',
        { p: { Version: '2012-10-17', [`State${NUL}`]: [] } },
        /^a key of sessionPolicy /,
      ],
    ];

    it.each(cases)('a NUL byte in %s (a variable) is BAD_USER_INPUT naming the argument', async (_what, query, variables, argument) => {
      // Act
      const res = await post(query, variables);

      // Assert
      expectRefused(res, argument);
      expect(res.body.errors![0].message).toContain('NUL');
      expect(errorLogs()).toEqual([]);
    });

    it.each(cases)('an unpaired surrogate in %s (a variable) is BAD_USER_INPUT naming the argument', async (_what, query, variables, argument) => {
      // Arrange: the same request with the NUL replaced by a lone surrogate (which Node would otherwise send as U+FFFD)
      const swapped = JSON.parse(JSON.stringify(variables).replaceAll('\\u0000', '\\ud800'));

      // Act
      const res = await post(query, swapped);

      // Assert
      expectRefused(res, argument);
      expect(res.body.errors![0].message).toContain('surrogate');
      expect(errorLogs()).toEqual([]);
    });

    it('a NUL byte written inline (a GraphQL string escape), nested in an input object, is BAD_USER_INPUT', async () => {
      // Act
      const events = await post('{ auditEvents(filter: { eventSource: "sagemaker.amazonaws.com", eventName: "Create\\u0000" }) { totalCount } }');
      const arn = await post(`{ principal(arn: "arn:aws:iam::${A}:role/\\u0000") { arn } }`);
      const policy = await post(
        `{ simulate(principalArn: "arn:aws:iam::${A}:role/${ROLE}", action: "sagemaker:DeleteExperiment", resourcePolicy: { Statement: [{ Effect: "Allow", Resource: "\\u0000" }] }) { decision } }`,
      );

      // Assert
      expectRefused(events, /^filter\.eventName .*NUL/);
      expectRefused(arn, /^arn .*NUL/);
      expectRefused(policy, /^resourcePolicy\.Statement\[0\]\.Resource .*NUL/);
      expect(errorLogs()).toEqual([]);
    });

    it('inline, a raw NUL in a string literal is BAD_USER_INPUT; an escaped lone surrogate is a syntax error (HTTP 400)', async () => {
      // Act
      const raw = await post(`{ team(name: "Team${NUL}") { name } }`);
      const surrogate = await post('{ team(name: "Team\\ud800") { name } }');

      // Assert
      expectRefused(raw, /^name .*NUL/);
      expect(surrogate.status).toBe(400);
      expect(surrogate.body.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(errorLogs()).toEqual([]);
    });

    it('several bad strings in one variable and a lone low surrogate: refused, never a partial answer', async () => {
      // Act
      const res = await post('query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount edges { node { eventId } } } }', {
        f: { eventName: LONE_LOW, region: NUL, accountId: LONE_HIGH },
      });

      // Assert
      expectRefused(res, /^filter\./);
      expect(res.body.data?.auditEvents ?? null).toBeNull();
      expect(errorLogs()).toEqual([]);
    });

    it('suppressViolation with a NUL byte in its reason is refused and changes nothing', async () => {
      // Act
      const res = await post('mutation($id: ID!, $r: String!) { suppressViolation(id: $id, reason: $r) { id status } }', { id: violationId, r: `accepted${NUL}` });

      // Assert
      expectRefused(res, /^reason .*NUL/);
      const { rows } = await db.pool.query(`SELECT status FROM violations WHERE id = $1`, [violationId]);
      expect(rows[0].status).toBe('OPEN');
      expect(errorLogs()).toEqual([]);
    });

    it('over WebSocket: a subscription whose filter holds a NUL byte is answered BAD_USER_INPUT', async () => {
      // Arrange
      const client = wsClient();

      // Act
      const errors = await new Promise<unknown[]>((resolve, reject) => {
        const seen: unknown[] = [];
        const timer = setTimeout(() => reject(new Error(`no answer over WebSocket: ${JSON.stringify(seen)}`)), 10_000);
        client.subscribe(
          { query: 'subscription($f: ViolationFilter) { violationOpened(filter: $f) { id } }', variables: { f: { team: NUL } } },
          {
            next: (result) => seen.push(...(result.errors ?? [])),
            error: (err) => {
              clearTimeout(timer);
              resolve([...seen, ...(Array.isArray(err) ? err : [err])]);
            },
            complete: () => {
              clearTimeout(timer);
              resolve(seen);
            },
          },
        );
      });

      // Assert
      expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^filter\.team .*NUL/), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
      expect(errorLogs()).toEqual([]);
    });
  });

  describe('forged cursors', () => {
    const lists: [string, string, string][] = [
      ['auditEvents', 'query($a: String) { auditEvents(first: 2, after: $a) { totalCount } }', 'event'],
      ['violations', 'query($a: String) { violations(first: 2, after: $a) { totalCount } }', 'violation'],
      ['principals', 'query($a: String) { principals(first: 2, after: $a) { totalCount } }', 'principal'],
      ['resources', 'query($a: String) { resources(first: 2, after: $a) { totalCount } }', 'resource'],
      ['policyGrants', 'query($a: String) { policyGrants(first: 2, after: $a) { totalCount } }', 'grant'],
      ['Team.members', 'query($a: String) { team(name: "TeamA") { members(first: 2, after: $a) { totalCount } } }', 'principal'],
      ['Team.resources', 'query($a: String) { team(name: "TeamA") { resources(first: 2, after: $a) { totalCount } } }', 'resource'],
      ['Team.violations', 'query($a: String) { team(name: "TeamA") { violations(first: 2, after: $a) { totalCount } } }', 'violation'],
    ];
    const time = '2026-11-03T10:00:00.000000Z';
    const arn = `arn:aws:iam::${A}:role/${ROLE}`;
    /** Cursors a list never gives, each shaped as closely as possible like one of that kind. */
    const forgeries = (kind: string): [string, string][] => {
      const keyed = (key: string[]) => cursor([kind, ...key]);
      const byKind: Record<string, [string, string[]][]> = {
        event: [
          ['an impossible month and day', ['2026-13-45T00:00:00.000000Z', 'e1']],
          ['February 30th', ['2026-02-30T10:00:00.000000Z', 'e1']],
          ['year 0000', ['0000-01-01T00:00:00.000000Z', 'e1']],
          ['year 99999', ['99999-01-01T00:00:00.000000Z', 'e1']],
          ['seven fractional digits', ['2026-11-03T10:00:00.9999999Z', 'e1']],
          ['hour 24', ['2026-11-03T24:00:00.000000Z', 'e1']],
          ['a NUL in the event id', [time, NUL]],
          ['an unpaired surrogate in the event id', [time, LONE_HIGH]],
        ],
        violation: [
          ['an id past bigint', [time, '99999999999999999999']],
          ['an id one past bigint', [time, '9223372036854775808']],
          ['a negative id', [time, '-1']],
          ['an impossible date', ['2026-02-30T00:00:00.000000Z', '1']],
          ['year 0000', ['0000-01-01T00:00:00.000000Z', '1']],
        ],
        principal: [
          ['an id past bigint', ['99999999999999999999']],
          ['an id one past bigint', ['9223372036854775808']],
          ['a negative id', ['-1']],
          ['a fractional id', ['1.5']],
        ],
        resource: [
          ['an id past bigint', ['99999999999999999999']],
          ['an id one past bigint', ['9223372036854775808']],
          ['a negative id', ['-1']],
        ],
        grant: [
          ['an impossible valid-from date', [arn, 'INLINE', '', 'p', '', '0', '2026-02-30T00:00:00.000000Z']],
          ['a statement index past integer', [arn, 'INLINE', '', 'p', '', '99999999999', time]],
          ['a NUL in the ARN', [`${arn}${NUL}`, 'INLINE', '', 'p', '', '0', time]],
        ],
      };
      return [
        ['not base64', '%%%not-a-cursor%%%'],
        ['base64 of no JSON', Buffer.from('{{{').toString('base64url')],
        ['an object instead of a list', cursor({ kind, id: '1' } as unknown as unknown[])],
        ['another kind of cursor', cursor([kind === 'principal' ? 'resource' : 'principal', '1'])],
        ['extra fields', cursor([kind, ...(kind === 'principal' || kind === 'resource' ? ['1'] : kind === 'grant' ? [arn, 'INLINE', '', 'p', '', '0', time] : [time, '1']), 'extra'])],
        ['a number where a string belongs', cursor([kind, 1])],
        ...byKind[kind].map(([what, key]): [string, string] => [what, keyed(key)]),
      ];
    };

    it.each(lists)('%s refuses every forged cursor as BAD_USER_INPUT saying it is not one of this list', async (_list, query, kind) => {
      for (const [what, after] of forgeries(kind)) {
        // Act
        const res = await post(query, { a: after });

        // Assert
        expect({ what, status: res.status, codes: res.body.errors?.map((e) => e.extensions?.code) }).toEqual({ what, status: expect.any(Number), codes: ['BAD_USER_INPUT'] });
        expectRefused(res, /^after is not a cursor of this list/);
      }
      expect(errorLogs()).toEqual([]);
    });

    it("a list's own cursors still page (the checks refuse only forgeries)", async () => {
      // Arrange
      const first = await api.data('{ auditEvents(first: 2) { pageInfo { endCursor } edges { node { eventId } } } }');
      const firstViolations = await api.data('{ violations(first: 1) { pageInfo { endCursor } } }');

      // Act
      const next = await api.data('query($a: String) { auditEvents(first: 2, after: $a) { edges { node { eventId } } } }', { a: first.auditEvents.pageInfo.endCursor });
      const nextViolations = await api.data('query($a: String) { violations(first: 1, after: $a) { edges { node { id } } } }', { a: firstViolations.violations.pageInfo.endCursor });

      // Assert
      expect(next.auditEvents.edges).toHaveLength(2);
      expect(next.auditEvents.edges.map((e: any) => e.node.eventId)).not.toContain(first.auditEvents.edges[0].node.eventId);
      expect(nextViolations.violations.edges).toHaveLength(1);
    });
  });

  describe('ids and dates out of range', () => {
    it.each(['99999999999999999999', '9223372036854775808', '-1', '0x10', '1e3'])('violation(id: "%s") and the mutations on it are BAD_USER_INPUT', async (id) => {
      // Act
      const one = await post('query($id: ID!) { violation(id: $id) { id } }', { id });
      const suppress = await post('mutation($id: ID!) { suppressViolation(id: $id, reason: "accepted") { id } }', { id });
      const reopen = await post('mutation($id: ID!) { reopenViolation(id: $id, reason: "again") { id } }', { id });

      // Assert
      expectRefused(one, /^id .*is not a violation id/);
      expectRefused(suppress, /^id .*is not a violation id/);
      expectRefused(reopen, /^id .*is not a violation id/);
      expect(errorLogs()).toEqual([]);
    });

    it.each(['99999-01-01T00:00:00Z', '2026-13-45T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-03T24:00:00Z', '+275760-09-13T00:00:00Z'])(
      'a DateTime of %s is BAD_USER_INPUT wherever a date is taken',
      async (date) => {
        // Act
        const answers = await Promise.all([
          post('query($d: DateTime) { auditEvents(filter: { from: $d }) { totalCount } }', { d: date }),
          post('query($d: DateTime!) { complianceSummary(from: $d, to: "2027-01-01T00:00:00Z", groupBy: []) { total } }', { d: date }),
          post('query($d: DateTime) { policyGrants(at: $d) { totalCount } }', { d: date }),
          post('mutation($id: ID!, $d: DateTime) { suppressViolation(id: $id, reason: "accepted", until: $d) { id } }', { id: violationId, d: date }),
        ]);

        // Assert
        for (const res of answers) expectRefused(res, /DateTime/);
        expect(errorLogs()).toEqual([]);
      },
    );

    it('the extreme dates a DateTime allows (years 0000 and 9999, any offset) are answered, not failed', async () => {
      // Act
      const events = await post('query($a: DateTime, $b: DateTime) { auditEvents(filter: { from: $a, to: $b }) { totalCount } }', {
        a: '0000-01-01T00:00:00+14:00',
        b: '9999-12-31T23:59:59-12:00',
      });
      const summary = await post('query($a: DateTime!, $b: DateTime!) { complianceSummary(from: $a, to: $b, groupBy: [TEAM]) { total } }', {
        a: '0000-01-01T00:00:00Z',
        b: '9999-12-31T23:59:59-12:00',
      });
      const grants = await post('query($a: DateTime) { policyGrants(at: $a) { totalCount } }', { a: '0000-01-01T00:00:00Z' });
      const suppress = await post('mutation($id: ID!, $u: DateTime) { suppressViolation(id: $id, reason: "accepted", until: $u) { status suppressedUntil } }', {
        id: violationId,
        u: '9999-12-31T23:59:59-12:00',
      });
      const reopened = await post('mutation($id: ID!) { reopenViolation(id: $id, reason: "again") { status } }', { id: violationId });

      // Assert
      const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
      expect(events.body).toEqual({ data: { auditEvents: { totalCount: Number(rows[0].n) } } });
      expect(summary.body.errors).toBeUndefined();
      expect(grants.body).toEqual({ data: { policyGrants: { totalCount: 0 } } });
      // a moment past 9999-12-31 in UTC is stored and shown as it was given: the same instant
      expect(suppress.body.errors).toBeUndefined();
      expect(new Date(suppress.body.data.suppressViolation.suppressedUntil).getTime()).toBe(Date.parse('9999-12-31T23:59:59-12:00'));
      expect(reopened.body).toEqual({ data: { reopenViolation: { status: 'OPEN' } } });
      expect(errorLogs()).toEqual([]);
    });
  });

  describe('exact-match lookups', () => {
    it('principal(arn:) matches exactly: `_` in a session ARN is a character, not a wildcard', async () => {
      // Arrange
      const session = (partition: string) => `arn:${partition}:sts::${A}:assumed-role/${ROLE}/SageMaker`;

      // Act
      const real = await api.data('query($arn: String!) { principal(arn: $arn) { arn } }', { arn: session('aws') });
      const wildcard = await api.data('query($arn: String!) { principal(arn: $arn) { arn } }', { arn: session('a_s') });
      const percent = await api.data('query($arn: String!) { principal(arn: $arn) { arn } }', { arn: session('a%') });
      const roleWildcard = await api.data('query($arn: String!) { principal(arn: $arn) { arn } }', { arn: `arn:a_s:iam::${A}:role/${ROLE}` });

      // Assert
      expect(real.principal).toEqual({ arn: `arn:aws:iam::${A}:role/${ROLE}` });
      expect(wildcard.principal).toBeNull();
      expect(percent.principal).toBeNull();
      expect(roleWildcard.principal).toBeNull();
    });

    it('filters and lookups by ARN, name or tag compare whole values, with no pattern characters', async () => {
      // Act
      const events = await api.data('query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }', { f: { principalArn: `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeam_Role` } });
      const team = await api.data('{ a: team(name: "Team_") { name } b: team(name: "Team%") { name } c: team(name: "TeamA") { name } }');
      const resources = await api.data('{ resources(filter: { tagKey: "tea_" }) { totalCount } }');
      const owner = await api.data(`{ whoOwns(query: "arn:aws:s3:::ml-artifacts-${A.replace('1', '_')}") { matchedBy } }`);

      // Assert
      expect(events.auditEvents.totalCount).toBe(0);
      expect(team).toEqual({ a: null, b: null, c: { name: 'TeamA' } });
      expect(resources.resources.totalCount).toBe(0);
      expect(owner.whoOwns.matchedBy).toBe('NONE');
    });
  });

  describe('the database as a last line: errors only bad input causes', () => {
    it('a Postgres out-of-range or invalid-text error is answered BAD_USER_INPUT and logged below error level', async () => {
      // Arrange: real errors from Postgres, as a read path that missed a check would meet them
      const failures = await Promise.all(
        [
          [`SELECT $1::bigint`, ['99999999999999999999']],
          [`SELECT $1::text`, [NUL]],
          [`SELECT $1::timestamptz`, ['2026-02-30T00:00:00Z']],
        ].map(([sql, values]) => db.pool.query(sql as string, values as unknown[]).then(() => null, (err: unknown) => err)),
      );
      const logged: { level: string; msg: string }[] = [];
      const format = formatError({ error: (_o, msg) => void logged.push({ level: 'error', msg }), warn: (_o, msg) => void logged.push({ level: 'warn', msg }) });

      // Act
      const answers = failures.map((err) => format({ message: (err as Error).message, path: ['violations'] }, err));

      // Assert
      expect(failures.map((e) => (e as { code?: string }).code)).toEqual(['22003', '22021', '22008']);
      for (const a of answers) {
        expect(a.extensions?.code).toBe('BAD_USER_INPUT');
        expect(a.message).not.toContain('bigint');
      }
      expect(logged.map((l) => l.level)).toEqual(['warn', 'warn', 'warn']);
    });
  });
});
