import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws/client';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { loadJose } from '../../src/auth/jose';
import { createOpenedPublisher, violationOpenedChannel } from '../../src/compliance/notify';
import { demoDir } from '../../src/demo/demo-files';
import { DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { ingestDemo, type RunningApi, startApi } from '../support/api';
import { startOidcIssuer, type TestIssuer } from '../support/oidc-issuer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * OIDC bearer tokens through the running API, over HTTP and WebSocket, with a real issuer serving
 * discovery and its JWKS on 127.0.0.1: the API configured as an operator would (OIDC_ISSUER,
 * OIDC_AUDIENCE, a YAML claim mapping file in GOVGRAPH_AUTH_MAPPING).
 */

const MAPPING_YAML = `# which identity-provider group is which govgraph role
groups:
  govgraph-admins:
    role: admin
  teama:
    role: team-member
    teams: [TeamA]
`;
const TEAM = 'TeamA';
const OTHER_TEAM = 'TeamB';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Opens the WebSocket and sends connection_init with the credential: acknowledged, or the close code and reason. */
function initSocket(url: string, authorization: string): Promise<{ acknowledged: boolean; code?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no answer to connection_init within 10 s'));
    }, 10_000);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } })));
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        clearTimeout(timer);
        socket.close(1000);
        resolve({ acknowledged: true });
      }
    });
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ acknowledged: false, code, reason: reason.toString() });
    });
    socket.on('error', () => undefined); // the close that follows says what happened
  });
}

describe('OIDC bearer tokens through the API', () => {
  let db: TestDatabase;
  let dir: string;
  let issuer: TestIssuer;
  let api: RunningApi;
  let redis: Redis;
  const prefix = testQueuePrefix();
  const clients: Client[] = [];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const sql = async (text: string, values: unknown[] = []) => (await db.pool.query(text, values)).rows;
  const teamViolations = async (team: string) => (await sql(`SELECT id::text AS id FROM violations WHERE team = $1 AND status = 'OPEN' ORDER BY id`, [team])).map((r) => r.id as string);

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestIamPaths(db.pool, [path.join(demoDir(), 'iam')], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    await ingestDemo(db, { evaluation: { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' } });
    issuer = await startOidcIssuer({ audience: 'govgraph-api' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-oidc-'));
    const mappingFile = path.join(dir, 'auth-mapping.yaml');
    await writeFile(mappingFile, MAPPING_YAML);
    api = await startApi(db, {}, { OIDC_ISSUER: issuer.issuer, OIDC_AUDIENCE: issuer.audience, GOVGRAPH_AUTH_MAPPING: mappingFile, GOVGRAPH_QUEUE_PREFIX: prefix });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    redis?.disconnect();
    await api?.stop();
    await issuer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await db?.drop();
  });

  describe('valid tokens', () => {
    it(`reads as team-member of ${TEAM} with a token of the teama group: only ${TEAM}'s violations, and no changes`, async () => {
      // Arrange
      const token = await issuer.sign({ sub: 'sub-tom', email: 'tom@example.com', groups: ['teama', 'Everyone'] });
      const [theirs] = await teamViolations(OTHER_TEAM);
      const mine = (await sql('SELECT count(*)::int AS n FROM violations WHERE team = $1', [TEAM]))[0].n;

      // Act
      const read = await api.post(
        `query($theirs: ID!) { violations(first: 500) { totalCount edges { node { id team } } } violation(id: $theirs) { id } teams { name } }`,
        { theirs },
        bearer(token),
      );
      const change = await api.post('mutation($id: ID!) { suppressViolation(id: $id, reason: "members cannot") { id } }', { id: (await teamViolations(TEAM))[0] }, bearer(token));

      // Assert
      expect(read.status).toBe(200);
      expect(read.body.errors).toBeUndefined();
      const { violations, violation, teams } = read.body.data;
      expect(mine).toBeGreaterThan(0);
      expect(violations.totalCount).toBe(mine);
      expect(new Set(violations.edges.map((e: any) => e.node.team))).toEqual(new Set([TEAM]));
      expect(violation).toBeNull();
      expect(teams.map((t: any) => t.name)).toEqual(expect.arrayContaining([TEAM, OTHER_TEAM]));
      expect(change.status).toBe(403);
      expect(change.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    });

    it('lets an admin group\'s token suppress any team\'s violation, recorded as oidc:<email> (<sub>)', async () => {
      // Arrange
      const token = await issuer.sign({ sub: 'sub-dana', email: 'dana@example.com', groups: ['govgraph-admins'] });
      const [id] = await teamViolations(OTHER_TEAM);

      // Act
      const suppressed = await api.data(
        'mutation($id: ID!) { suppressViolation(id: $id, reason: "accepted by security") { status suppressedBy history { toStatus changedBy reason } } }',
        { id },
        { ...bearer(token), 'x-govgraph-user': 'ciso@example.com' },
      );

      // Assert
      const recorded = 'oidc:dana@example.com (sub-dana)';
      expect(suppressed.suppressViolation.status).toBe('SUPPRESSED');
      expect(suppressed.suppressViolation.suppressedBy).toBe(recorded);
      expect(suppressed.suppressViolation.history.at(-1)).toEqual({ toStatus: 'SUPPRESSED', changedBy: recorded, reason: 'accepted by security' });
    });

    it(`relays over WebSocket only ${TEAM}'s new violations to a teama token sent in connection_init`, async () => {
      // Arrange
      const token = await issuer.sign({ sub: 'sub-tom', email: 'tom@example.com', groups: ['teama'] });
      const client = createClient({ url: api.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: bearer(token), retryAttempts: 0, lazy: true });
      clients.push(client);
      const received: string[] = [];
      const errors: unknown[] = [];
      client.subscribe({ query: 'subscription { violationOpened { id team } }' }, {
        next: (r) => (r.errors ? errors.push(...r.errors) : received.push((r.data as any).violationOpened.team)),
        error: (e) => errors.push(e),
        complete: () => undefined,
      });
      const channel = violationOpenedChannel(prefix);
      for (let i = 0; i < 200 && ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] < 1; i++) await sleep(25);
      const mine = (await teamViolations(TEAM)).slice(0, 2);
      const theirs = (await teamViolations(OTHER_TEAM)).slice(0, 2);

      // Act
      await createOpenedPublisher(redis, channel, { warn: () => undefined })([...theirs, ...mine]);
      for (let i = 0; i < 200 && received.length < mine.length; i++) await sleep(25);
      await sleep(300); // anything more that would come

      // Assert
      expect(errors).toEqual([]);
      expect(received).toEqual([TEAM, TEAM]);
    });
  });

  describe('refused tokens: 401 over HTTP, close 4401 over WebSocket', () => {
    const kinds: [string, () => Promise<string>, RegExp][] = [
      ['expired', () => issuer.sign({ groups: ['govgraph-admins'], iat: nowSeconds() - 3600, exp: nowSeconds() - 600 }), /^token expired$/],
      ['not yet valid', () => issuer.sign({ groups: ['govgraph-admins'], nbf: nowSeconds() + 600, exp: nowSeconds() + 1200 }), /^token not yet valid$/],
      ['for another audience', () => issuer.sign({ groups: ['govgraph-admins'], aud: 'some-other-app' }), /^token for another audience$/],
      ['from another issuer (signed by a published key)', () => issuer.sign({ groups: ['govgraph-admins'], iss: 'https://login.other.example.com' }), /^token from another issuer$/],
      [
        'unsigned (alg: none)',
        async () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: issuer.issuer, aud: issuer.audience, sub: 'mallory', exp: nowSeconds() + 300, groups: ['govgraph-admins'] })}.`,
        /^token algorithm not allowed/,
      ],
      [
        'HS256 with the public key as its secret (HS/RS confusion)',
        async () => {
          const jose = await loadJose();
          const [key] = issuer.published();
          const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'mallory', exp: nowSeconds() + 300, groups: ['govgraph-admins'] };
          return new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(await jose.exportSPKI(key.publicKey)));
        },
        /^token algorithm not allowed/,
      ],
    ];
    for (const [kind, make, reason] of kinds) {
      it(`refuses a token ${kind}`, async () => {
        // Arrange
        const token = await make();

        // Act
        const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify({ query: '{ teams { name } }' }) });
        const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
        const socket = await initSocket(api.url.replace(/^http/, 'ws'), `Bearer ${token}`);

        // Assert
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(body.data).toBeUndefined();
        expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
        expect(body.errors![0].message).toMatch(reason);
        expect(socket.acknowledged).toBe(false);
        expect(socket.code).toBe(4401);
        expect(socket.reason).toMatch(reason);
      });
    }

    it('answers a valid token with no mapped group with 403 FORBIDDEN over HTTP, and close 4403 over WebSocket', async () => {
      // Arrange
      const token = await issuer.sign({ sub: 'sub-mark', email: 'mark@example.com', groups: ['marketing', 'Everyone'] });

      // Act
      const r = await api.post('{ teams { name } }', undefined, bearer(token));
      const socket = await initSocket(api.url.replace(/^http/, 'ws'), `Bearer ${token}`);

      // Assert
      expect(r.status).toBe(403);
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(r.body.data).toBeUndefined();
      expect(socket).toMatchObject({ acknowledged: false, code: 4403 });
    });
  });

  describe('key rotation at the issuer', () => {
    it('accepts tokens of the newly published key without a restart, and refuses the removed key once the key set is refetched', async () => {
      // Arrange: the API holds the issuer's current key set
      const [oldKey] = issuer.published();
      const oldToken = await issuer.sign({ sub: 'sub-tom', groups: ['teama'] }, { key: oldKey });
      const beforeRotation = await api.post('{ teams { name } }', undefined, bearer(oldToken));
      const fetchesBefore = issuer.hits.jwks;

      // Act: the issuer rotates; the API refetches its keys for the unknown kid (at most once per
      // cooldown, so the new key's first tokens may be refused for that long)
      const newKey = await issuer.addKey();
      issuer.retire(oldKey);
      const newToken = await issuer.sign({ sub: 'sub-tom', groups: ['teama'] }, { key: newKey });
      let withNewKey = await api.post('{ teams { name } }', undefined, bearer(newToken));
      const refusedWhileCooling: string[] = [];
      const giveUp = Date.now() + 45_000;
      while (withNewKey.status !== 200 && Date.now() < giveUp) {
        refusedWhileCooling.push(`${withNewKey.status} ${withNewKey.body.errors?.[0].message}`);
        await sleep(500);
        withNewKey = await api.post('{ teams { name } }', undefined, bearer(newToken));
      }
      const withOldKey = await api.post('{ teams { name } }', undefined, bearer(oldToken));
      const socketWithNewKey = await initSocket(api.url.replace(/^http/, 'ws'), `Bearer ${newToken}`);
      const socketWithOldKey = await initSocket(api.url.replace(/^http/, 'ws'), `Bearer ${oldToken}`);

      // Assert
      expect(beforeRotation.status).toBe(200);
      expect(withNewKey.status).toBe(200);
      expect(withNewKey.body.errors).toBeUndefined();
      expect(new Set(refusedWhileCooling)).toEqual(new Set(refusedWhileCooling.length ? ['401 token signed by an unknown key'] : []));
      expect(withOldKey.status).toBe(401);
      expect(withOldKey.body.errors?.[0].message).toBe('token signed by an unknown key');
      expect(socketWithNewKey.acknowledged).toBe(true);
      expect(socketWithOldKey).toMatchObject({ acknowledged: false, code: 4401 });
      // one refetch for the rotation, however many tokens of the unknown key came while cooling down
      expect(issuer.hits.jwks).toBe(fetchesBefore + 1);
      expect(issuer.hits.discovery).toBe(1);
    });
  });
});
