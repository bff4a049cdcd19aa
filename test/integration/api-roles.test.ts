import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws/client';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createApiKey } from '../../src/auth/api-keys';
import { createOpenedPublisher, violationOpenedChannel } from '../../src/compliance/notify';
import { demoDir } from '../../src/demo/demo-files';
import { DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { buildGovgraphSchema } from '../../src/server/schema';
import { ingestDemo, type RunningApi, startApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * Who may ask what, through the running API: each role against each query, mutation and
 * subscription field, then the row-level parts a user would check (a team-lead changes only its
 * team's violations; the ownership bot reads owners and tags, nothing more; the forged user header
 * is ignored). Over the demo story (two teams) with its rules evaluated, plus its IAM snapshot.
 */

type Role = 'admin' | 'auditor' | 'team-lead' | 'team-member' | 'ownership-bot';
const ROLES: Role[] = ['admin', 'auditor', 'team-lead', 'team-member', 'ownership-bot'];
const TEAM = 'TeamA';
const OTHER_TEAM = 'TeamB';

/**
 * The contract from the issue (README: Roles), written here on its own so the server's table
 * (src/auth/root-fields.ts) is checked against it rather than against itself.
 *   admin          reads everything; suppresses/reopens any violation
 *   auditor        reads everything, the access log included; changes nothing
 *   team-lead      reads its teams' rows; whoOwns, teams, rules everywhere; suppresses/reopens its teams' violations
 *   team-member    reads as team-lead; changes nothing
 *   ownership-bot  whoOwns, resource(arn) with owner team and tags, teams (and one team by name), rules
 */
const TEAM_READERS: Role[] = ['admin', 'auditor', 'team-lead', 'team-member'];
const EVERY_ROLE: Role[] = [...ROLES];
const CONTRACT: Record<'Query' | 'Mutation' | 'Subscription', Record<string, Role[]>> = {
  Query: {
    auditEvents: TEAM_READERS,
    principal: TEAM_READERS,
    principals: TEAM_READERS,
    resource: EVERY_ROLE,
    resources: TEAM_READERS,
    teams: EVERY_ROLE,
    team: EVERY_ROLE,
    whoOwns: EVERY_ROLE,
    violations: TEAM_READERS,
    violation: TEAM_READERS,
    complianceSummary: TEAM_READERS,
    rules: EVERY_ROLE,
    simulate: TEAM_READERS,
    whoCan: TEAM_READERS,
    policyGrants: TEAM_READERS,
    apiAccessLog: ['admin', 'auditor'],
  },
  Mutation: {
    suppressViolation: ['admin', 'team-lead'],
    reopenViolation: ['admin', 'team-lead'],
  },
  Subscription: {
    violationOpened: TEAM_READERS,
  },
};

/** What each asked field's answer is checked with: GraphQL errors and HTTP status. */
interface Answer {
  status: number;
  codes: string[];
  data: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('roles: who may ask which field, through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let schema: GraphQLSchema;
  let redis: Redis;
  const prefix = testQueuePrefix();
  const clients: Client[] = [];
  const keys = {} as Record<Role, { key: string; id: string; name: string }>;
  const as = (role: Role, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${keys[role].key}`, ...extra });
  const sql = async (text: string, values: unknown[] = []) => (await db.pool.query(text, values)).rows;

  /** Rows of the demo story to ask about: a TeamA principal, resource and violation, and TeamB's. */
  let fixture: {
    principal: string;
    resource: string;
    violation: string;
    otherResource: string;
    otherViolation: string;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestIamPaths(db.pool, [path.join(demoDir(), 'iam')], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    await ingestDemo(db, { evaluation: { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' } });
    api = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix });
    schema = await buildGovgraphSchema();
    redis = new Redis(REDIS_URL);
    const make = async (role: Role, teams?: string[]) => {
      const name = `${role}-key`;
      const { row, key } = await createApiKey(db.pool, { name, role, teams });
      keys[role] = { key, id: row.id, name };
    };
    await make('admin');
    await make('auditor');
    await make('team-lead', [TEAM]);
    await make('team-member', [TEAM]);
    await make('ownership-bot');

    // a resource of each team that has a creator, events and violations (so empty answers below mean refused, not absent)
    const richResource = async (team: string) =>
      (
        await sql(
          `SELECT r.arn FROM resources r JOIN teams t ON t.id = r.owner_team_id
            WHERE t.name = $1 AND r.created_event_id IS NOT NULL
              AND EXISTS (SELECT 1 FROM violations v WHERE v.resource_arn = r.arn)
            ORDER BY r.arn LIMIT 1`,
          [team],
        )
      )[0]?.arn as string;
    const openViolation = async (team: string) =>
      (await sql(`SELECT id::text AS id FROM violations WHERE team = $1 AND status = 'OPEN' ORDER BY id LIMIT 1`, [team]))[0]?.id as string;
    fixture = {
      principal: (await sql(`SELECT p.arn FROM principals p JOIN teams t ON t.id = p.team_id WHERE t.name = $1 AND p.arn LIKE '%:role/%' ORDER BY p.arn LIMIT 1`, [TEAM]))[0]?.arn,
      resource: await richResource(TEAM),
      violation: await openViolation(TEAM),
      otherResource: await richResource(OTHER_TEAM),
      otherViolation: await openViolation(OTHER_TEAM),
    };
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    redis?.disconnect();
    await api?.stop();
    await db?.drop();
  });

  /** One call per root field, with arguments that name TeamA's rows (answered when the role may ask). */
  const queries = (): Record<string, { query: string; variables?: Record<string, unknown> }> => ({
    auditEvents: { query: '{ auditEvents(first: 5) { totalCount edges { node { eventId } } } }' },
    principal: { query: 'query($arn: String!) { principal(arn: $arn) { arn } }', variables: { arn: fixture.principal } },
    principals: { query: '{ principals(first: 5) { totalCount edges { node { arn } } } }' },
    resource: { query: 'query($arn: String!) { resource(arn: $arn) { arn ownerTeam { name } tags { key value } } }', variables: { arn: fixture.resource } },
    resources: { query: '{ resources(first: 5) { totalCount edges { node { arn } } } }' },
    teams: { query: '{ teams { name } }' },
    team: { query: 'query($name: String!) { team(name: $name) { name } }', variables: { name: TEAM } },
    whoOwns: { query: 'query($q: String!) { whoOwns(query: $q) { teamName basis } }', variables: { q: fixture.resource } },
    violations: { query: '{ violations(first: 5) { totalCount edges { node { id } } } }' },
    violation: { query: 'query($id: ID!) { violation(id: $id) { id status } }', variables: { id: fixture.violation } },
    complianceSummary: { query: '{ complianceSummary(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", groupBy: [TEAM]) { team open } }' },
    rules: { query: '{ rules { id } }' },
    simulate: {
      query: 'query($p: String!) { simulate(principalArn: $p, action: "sagemaker:CreateTrainingJob") { decision } }',
      variables: { p: fixture.principal },
    },
    whoCan: { query: '{ whoCan(action: "sagemaker:CreateTrainingJob") { principalArn } }' },
    policyGrants: { query: '{ policyGrants(first: 5) { totalCount edges { node { principalArn } } } }' },
    apiAccessLog: { query: '{ apiAccessLog(first: 5) { totalCount edges { node { id outcome } } } }' },
    suppressViolation: {
      query: 'mutation($id: ID!) { suppressViolation(id: $id, reason: "role matrix") { id status } }',
      variables: { id: fixture.violation },
    },
    reopenViolation: {
      query: 'mutation($id: ID!) { reopenViolation(id: $id, reason: "role matrix") { id status } }',
      variables: { id: fixture.violation },
    },
  });

  const ask = async (role: Role, call: { query: string; variables?: Record<string, unknown> }): Promise<Answer> => {
    const { status, body } = await api.post(call.query, call.variables, as(role));
    return { status, codes: (body.errors ?? []).map((e) => String(e.extensions?.code)), data: body.data };
  };

  it('has a contract row for every root field the API serves (a new field cannot slip by)', () => {
    // Arrange
    const served = {
      Query: Object.keys(schema.getQueryType()!.getFields()).sort(),
      Mutation: Object.keys(schema.getMutationType()!.getFields()).sort(),
      Subscription: Object.keys(schema.getSubscriptionType()!.getFields()).sort(),
    };

    // Assert
    expect(served).toEqual({
      Query: Object.keys(CONTRACT.Query).sort(),
      Mutation: Object.keys(CONTRACT.Mutation).sort(),
      Subscription: Object.keys(CONTRACT.Subscription).sort(),
    });
    expect(Object.keys(queries()).sort()).toEqual([...Object.keys(CONTRACT.Query), ...Object.keys(CONTRACT.Mutation)].sort());
    expect(Object.values(fixture).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
  });

  for (const role of ROLES) {
    it(`answers ${role} on every query field it may ask, and refuses the others with FORBIDDEN (HTTP 403)`, async () => {
      // Arrange
      const calls = queries();

      // Act
      const outcome: Record<string, string> = {};
      for (const field of Object.keys(CONTRACT.Query)) {
        const answer = await ask(role, calls[field]);
        outcome[field] = answer.codes.includes('FORBIDDEN') ? `FORBIDDEN ${answer.status}` : answer.codes.filter((c) => c !== 'NOT_FOUND' && c !== 'BAD_USER_INPUT').join(',') || 'answered';
      }

      // Assert
      const expected = Object.fromEntries(Object.entries(CONTRACT.Query).map(([field, roles]) => [field, roles.includes(role) ? 'answered' : 'FORBIDDEN 403']));
      expect(outcome).toEqual(expected);
    });
  }

  for (const role of ROLES) {
    it(`lets ${role} suppress and reopen a ${TEAM} violation only if its role may change violations`, async () => {
      // Arrange
      const calls = queries();
      const statusOf = async () => (await api.data('query($id: ID!) { violation(id: $id) { status } }', { id: fixture.violation })).violation.status;
      const before = await statusOf();

      // Act
      const suppressed = await ask(role, calls.suppressViolation);
      const between = await statusOf();
      const reopened = await ask(role, calls.reopenViolation);
      const after = await statusOf();

      // Assert
      expect(before).toBe('OPEN');
      if (CONTRACT.Mutation.suppressViolation.includes(role)) {
        expect(suppressed).toEqual({ status: 200, codes: [], data: { suppressViolation: { id: fixture.violation, status: 'SUPPRESSED' } } });
        expect(between).toBe('SUPPRESSED');
        expect(reopened).toEqual({ status: 200, codes: [], data: { reopenViolation: { id: fixture.violation, status: 'OPEN' } } });
      } else {
        expect([suppressed.status, suppressed.codes]).toEqual([403, ['FORBIDDEN']]);
        expect(between).toBe('OPEN');
        expect([reopened.status, reopened.codes]).toEqual([403, ['FORBIDDEN']]);
      }
      expect(after).toBe('OPEN');
    });
  }

  it('relays violationOpened over WebSocket to the roles that read violations, and refuses ownership-bot with FORBIDDEN', async () => {
    // Arrange: one connection per role, each subscribing
    const received = {} as Record<Role, string[]>;
    const errors = {} as Record<Role, string[]>;
    for (const role of ROLES) {
      received[role] = [];
      errors[role] = [];
      const client = createClient({ url: api.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${keys[role].key}` }, retryAttempts: 0, lazy: true });
      clients.push(client);
      client.subscribe(
        { query: 'subscription { violationOpened { id team } }' },
        {
          next: (r) => (r.errors ? errors[role].push(...r.errors.map((e) => String(e.extensions?.code))) : received[role].push((r.data as any).violationOpened.id)),
          error: (e) => errors[role].push(...(Array.isArray(e) ? e.map((x) => String(x.extensions?.code)) : [String(e)])),
          complete: () => undefined,
        },
      );
    }
    const channel = violationOpenedChannel(prefix);
    for (let i = 0; i < 200 && ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] < 1; i++) await sleep(25);
    for (let i = 0; i < 200 && errors['ownership-bot'].length === 0; i++) await sleep(25);
    await sleep(200); // every subscription answered by now

    // Act: a TeamA violation announced as an evaluation would
    await createOpenedPublisher(redis, channel, { warn: () => undefined })([fixture.violation]);
    for (let i = 0; i < 200 && TEAM_READERS.some((r) => received[r].length === 0); i++) await sleep(25);

    // Assert
    for (const role of ROLES) {
      if (CONTRACT.Subscription.violationOpened.includes(role)) {
        expect({ role, received: received[role], errors: errors[role] }).toEqual({ role, received: [fixture.violation], errors: [] });
      } else {
        expect({ role, received: received[role], errors: errors[role] }).toEqual({ role, received: [], errors: ['FORBIDDEN'] });
      }
    }
  });

  describe('rows', () => {
    const suppress = 'mutation($id: ID!, $reason: String!) { suppressViolation(id: $id, reason: $reason) { id status suppressedBy } }';
    const reopen = 'mutation($id: ID!) { reopenViolation(id: $id, reason: "fixed after all") { id status history { toStatus changedBy reason } } }';

    it(`lets a team-lead of ${TEAM} suppress and reopen its violation, recorded as its key whatever x-govgraph-user claims`, async () => {
      // Arrange
      const lead = keys['team-lead'];
      const forged = as('team-lead', { 'x-govgraph-user': 'ciso@example.com' });

      // Act
      const suppressed = await api.data(suppress, { id: fixture.violation, reason: 'accepted risk' }, forged);
      const reopened = await api.data(reopen, { id: fixture.violation }, forged);

      // Assert
      const recorded = `api-key:${lead.name} (${lead.id})`;
      expect(suppressed.suppressViolation).toEqual({ id: fixture.violation, status: 'SUPPRESSED', suppressedBy: recorded });
      expect(reopened.reopenViolation.status).toBe('OPEN');
      const mine = reopened.reopenViolation.history.filter((h: any) => h.reason === 'accepted risk' || h.reason === 'fixed after all');
      expect(mine).toEqual([
        { toStatus: 'SUPPRESSED', changedBy: recorded, reason: 'accepted risk' },
        { toStatus: 'OPEN', changedBy: recorded, reason: 'fixed after all' },
      ]);
      const everyone = reopened.reopenViolation.history.map((h: any) => h.changedBy).join(' ');
      expect(everyone).not.toContain('ciso@example.com');
    });

    it(`answers a team-lead's change to a ${OTHER_TEAM} violation as NOT_FOUND, exactly as an unknown id, and changes nothing`, async () => {
      // Arrange
      const unknownId = String(Number((await sql('SELECT max(id) AS id FROM violations'))[0].id) + 1000);

      // Act
      const other = await api.post(suppress, { id: fixture.otherViolation, reason: 'not mine' }, as('team-lead'));
      const unknown = await api.post(suppress, { id: unknownId, reason: 'not mine' }, as('team-lead'));
      const otherReopen = await api.post(reopen, { id: fixture.otherViolation }, as('team-lead'));
      const status = (await api.data('query($id: ID!) { violation(id: $id) { status history { changedBy } } }', { id: fixture.otherViolation })).violation;

      // Assert
      expect(other.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(other.status).toBe(unknown.status);
      expect(other.body.errors![0].message.replace(fixture.otherViolation, 'ID')).toBe(unknown.body.errors![0].message.replace(unknownId, 'ID'));
      expect(otherReopen.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(status.status).toBe('OPEN');
      expect(status.history.map((h: any) => h.changedBy).join(' ')).not.toContain(keys['team-lead'].id);
    });

    it('refuses a team-member\'s suppression of its own team\'s violation with FORBIDDEN', async () => {
      // Act
      const r = await api.post(suppress, { id: fixture.violation, reason: 'members cannot' }, as('team-member'));

      // Assert
      expect(r.status).toBe(403);
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(r.body.data ?? null).toBeNull();
    });

    it("gives ownership-bot any team's resource with its owner team and tags, and nothing of its events, violations or creator", async () => {
      // Arrange
      const query = `query($arn: String!) { resource(arn: $arn) {
        arn ownerTeam { name } tags { key value }
        createdBy { arn } events(first: 50) { totalCount edges { node { eventId } } } violations(first: 50) { totalCount edges { node { id } } } } }`;

      for (const [arn, team] of [[fixture.resource, TEAM], [fixture.otherResource, OTHER_TEAM]]) {
        // Act
        const bot = (await api.data(query, { arn }, as('ownership-bot'))).resource;
        const admin = (await api.data(query, { arn }, as('admin'))).resource;

        // Assert: the admin sees a creator, events and violations, so the bot's empty answers are its scope
        expect(admin.createdBy).not.toBeNull();
        expect(admin.events.totalCount).toBeGreaterThan(0);
        expect(admin.violations.totalCount).toBeGreaterThan(0);
        expect(bot).toEqual({
          arn,
          ownerTeam: { name: team },
          tags: admin.tags,
          createdBy: null,
          events: { totalCount: 0, edges: [] },
          violations: { totalCount: 0, edges: [] },
        });
        expect(bot.tags).toContainEqual({ key: 'team', value: team });
      }
    });

    it("answers ownership-bot's whoOwns for both teams' resources as it answers an admin", async () => {
      // Arrange
      const query = 'query($q: String!) { whoOwns(query: $q) { query matchedBy teamName basis message } }';

      for (const [arn, team] of [[fixture.resource, TEAM], [fixture.otherResource, OTHER_TEAM]]) {
        // Act
        const bot = await api.data(query, { q: arn }, as('ownership-bot'));
        const admin = await api.data(query, { q: arn }, as('admin'));

        // Assert
        expect(bot.whoOwns.teamName).toBe(team);
        expect(bot).toEqual(admin);
      }
    });
  });
});
