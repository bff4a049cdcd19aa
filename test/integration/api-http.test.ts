import { createServer } from 'node:net';
import { serverAudits } from 'graphql-http';
import { ingestDemo, RunningApi, startApi } from '../support/api';
import { listenOnLoopback } from '../support/listen';
import { createTestDatabase, databaseUrl, TestDatabase } from '../support/postgres';

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  const port = await listenOnLoopback(srv);
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('the API over HTTP', () => {
  let db: TestDatabase;
  let api: RunningApi;
  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestDemo(db);
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  describe('health and readiness', () => {
    it('/healthz answers while the process is up; /readyz once Postgres and Redis answer', async () => {
      // Act
      const health = await fetch(`${api.base}/healthz`);
      const ready = await fetch(`${api.base}/readyz`);

      // Assert
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    });

    it('/readyz is 503 and names what is unavailable (without details) when Redis or Postgres does not answer', async () => {
      // Arrange: Redis on a port nothing listens on; Postgres with a database that does not exist
      const noRedis = await startApi(db, {}, { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
      const noPostgres = await startApi({ ...db, url: databaseUrl('govgraph_test_no_such_database') });

      try {
        // Act
        const r1 = await fetch(`${noRedis.base}/readyz`);
        const r2 = await fetch(`${noPostgres.base}/readyz`);
        const h1 = await fetch(`${noRedis.base}/healthz`);

        // Assert
        expect(r1.status).toBe(503);
        expect(await r1.json()).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'unavailable' } });
        expect(r2.status).toBe(503);
        expect(await r2.json()).toEqual({ status: 'unavailable', checks: { postgres: 'unavailable', redis: 'ok' } });
        expect(h1.status).toBe(200);
      } finally {
        await noRedis.stop();
        await noPostgres.stop();
      }
    });
  });

  describe('GraphQL over HTTP', () => {
    it("passes graphql-http's server audits (Apollo's 400 for parse/validation errors is a warning, not a failure)", async () => {
      // Act
      // the audits' own requests carry an API key, as any client's must
      const fetchFn = (input: string | URL | Request, init: RequestInit = {}) =>
        fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers).entries()), authorization: `Bearer ${api.adminKey}` } });
      // one after another, as one client would: a credential has at most 4 requests in flight
      const results = [];
      for (const audit of serverAudits({ url: api.url, fetchFn })) results.push({ ...(await audit.fn()), name: audit.name });

      // Assert
      const failures = results.filter((r) => r.status === 'error');
      expect(failures.map((f) => `${f.name}: ${'reason' in f ? f.reason : ''}`)).toEqual([]);
      // the three warnings stack.md lists: Apollo answers parse, validation and coercion errors with 400
      const warnings = results.filter((r) => r.status === 'warn').map((r) => r.name).sort();
      expect(warnings).toEqual([
        expect.stringMatching(/^SHOULD use 200 status code on document parsing failure/),
        expect.stringMatching(/^SHOULD use 200 status code on document validation failure/),
        expect.stringMatching(/^SHOULD use a status code of 200 on variable coercion failure/),
      ]);
      expect(results.filter((r) => r.status === 'ok').length).toBe(results.length - 6); // 3 warnings + 3 notices (GET blocked by CSRF prevention)
    });

    it("keeps Apollo's CSRF prevention on: a GET or simple POST without a preflight-forcing header is refused", async () => {
      // Act
      const authorization = `Bearer ${api.adminKey}`;
      const get = await fetch(`${api.url}?query=${encodeURIComponent('{ teams { name } }')}`, { headers: { authorization } });
      const form = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'text/plain', authorization }, body: JSON.stringify({ query: '{ teams { name } }' }) });
      const preflighted = await fetch(`${api.url}?query=${encodeURIComponent('{ teams { name } }')}`, { headers: { 'apollo-require-preflight': 'true', authorization } });

      // Assert
      expect(get.status).toBe(400);
      expect(await get.text()).toMatch(/Cross-Site Request Forgery/);
      expect(form.status).toBe(400);
      expect(preflighted.status).toBe(200);
      expect(((await preflighted.json()) as any).data.teams).toHaveLength(3);
    });

    it('answers a malformed body with a JSON error, not an HTML page or a stack trace', async () => {
      // Act
      const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${api.adminKey}` }, body: '{"query": "{ teams { name } }"' });

      // Assert
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      expect(text).not.toMatch(/at .*\.js|node_modules/);
    });
  });

  describe('errors', () => {
    const codeOf = (body: any) => body.errors?.[0]?.extensions?.code;

    it('refuses first above 500 or below 0 with BAD_USER_INPUT, on top-level and nested lists', async () => {
      // Act
      const tooMany = await api.post('{ auditEvents(first: 501) { totalCount } }');
      const negative = await api.post('{ resources(first: -1) { totalCount } }');
      const nested = await api.post('{ teams { members(first: 1000) { totalCount } } }');
      const recent = await api.post('{ principals(first: 1) { edges { node { recentEvents(first: 501) { eventId } } } } }');
      const max = await api.post('{ auditEvents(first: 500) { totalCount } }');

      // Assert
      expect(codeOf(tooMany.body)).toBe('BAD_USER_INPUT');
      expect(tooMany.body.errors![0].message).toBe('first may be at most 500; got 501. Page with the `after` cursor instead');
      expect(tooMany.body.data).toBeNull();
      expect(codeOf(negative.body)).toBe('BAD_USER_INPUT');
      expect(codeOf(nested.body)).toBe('BAD_USER_INPUT');
      expect(codeOf(recent.body)).toBe('BAD_USER_INPUT');
      expect(max.body.errors).toBeUndefined();
    });

    it('refuses a cursor it did not issue, or one from another list, with BAD_USER_INPUT', async () => {
      // Arrange
      const principalCursor = (await api.data('{ principals(first: 1) { pageInfo { endCursor } } }')).principals.pageInfo.endCursor;
      const forged = Buffer.from(JSON.stringify(['event', 'yesterday', 'x'])).toString('base64url');

      // Act
      const garbage = await api.post('query($a: String) { auditEvents(after: $a) { totalCount } }', { a: 'not a cursor!' });
      const wrongList = await api.post('query($a: String) { auditEvents(after: $a) { totalCount } }', { a: principalCursor });
      const forgedTime = await api.post('query($a: String) { auditEvents(after: $a) { totalCount } }', { a: forged });
      const nested = await api.post('query($a: String) { teams { resources(after: $a) { totalCount } } }', { a: 'AAAA' });

      // Assert
      for (const r of [garbage, wrongList, forgedTime, nested]) {
        expect(codeOf(r.body)).toBe('BAD_USER_INPUT');
        expect(r.body.errors![0].message).toMatch(/^after is not a cursor of this list/);
      }
    });

    it('refuses a date that is not a date-time, clearly', async () => {
      // Act
      const asVariable = await api.post('query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }', { f: { from: 'yesterday' } });
      const dateOnly = await api.post('query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }', { f: { to: '2026-11-02' } });
      const inline = await api.post('{ auditEvents(filter: { from: "2026-13-45T99:00:00Z" }) { totalCount } }');

      // Assert
      expect(asVariable.status).toBe(400);
      expect(codeOf(asVariable.body)).toBe('BAD_USER_INPUT');
      expect(asVariable.body.errors![0].message).toMatch(/\$f.*from.*DateTime cannot represent an invalid date-time-string yesterday/);
      expect(codeOf(dateOnly.body)).toBe('BAD_USER_INPUT');
      expect(codeOf(inline.body)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(inline.body.errors![0].message).toMatch(/DateTime cannot represent an invalid date-time-string/);
    });

    it('answers an unknown ARN with null and a malformed one with BAD_USER_INPUT', async () => {
      // Act
      const unknown = await api.post(`{ resource(arn: "arn:aws:sagemaker:us-east-1:111122223333:training-job/nope") { arn } principal(arn: "arn:aws:iam::111122223333:user/nobody") { arn } }`);
      const badResource = await api.post('{ resource(arn: "churn-v7") { arn } }');
      const badPrincipal = await api.post('{ principal(arn: "arn:aws:iam") { arn } }');
      const padded = await api.post('{ resource(arn: "  arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-v7\\n") { name } }');

      // Assert
      expect(unknown.body).toEqual({ data: { resource: null, principal: null } });
      expect(codeOf(badResource.body)).toBe('BAD_USER_INPUT');
      expect(badResource.body.errors![0]).toMatchObject({ message: 'arn "churn-v7" is not an ARN (arn:partition:service:region:account:resource)', path: ['resource'] });
      expect(badResource.body.data).toEqual({ resource: null });
      expect(codeOf(badPrincipal.body)).toBe('BAD_USER_INPUT');
      expect(badPrincipal.body.errors![0].message).toMatch(/neither an ARN .* nor a principal key/);
      expect(padded.body).toEqual({ data: { resource: { name: 'churn-v7' } } });
    });

    it('requires a tag key with a tag value', async () => {
      // Act
      const r = await api.post('{ resources(filter: { tagValue: "TeamA" }) { totalCount } }');

      // Assert
      expect(codeOf(r.body)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].message).toBe('filter.tagValue needs filter.tagKey');
    });

    it('never sends a stack trace or an internal message: unexpected failures are INTERNAL_SERVER_ERROR with a generic message', async () => {
      // Arrange: an ownership resolver failing the way a lost database connection does
      const failing = await startApi(db, {
        whoOwns: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432 (password=hunter2)'), { code: 'ECONNREFUSED' });
        },
      });

      try {
        // Act
        const r = await failing.post('{ whoOwns(query: "churn-v7") { message } }');
        const badInput = await failing.post('{ auditEvents(first: 900) { totalCount } }');

        // Assert
        expect(r.status).toBe(200);
        expect(r.body).toEqual({
          data: { whoOwns: null },
          errors: [{ message: 'Internal server error', locations: [{ line: 1, column: 3 }], path: ['whoOwns'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
        expect(JSON.stringify(r.body)).not.toMatch(/hunter2|10\.1\.2\.3|stacktrace/);
        expect(JSON.stringify(badInput.body)).not.toMatch(/stacktrace|\.ts:|\.js:/);
      } finally {
        await failing.stop();
      }
    });
  });
});
