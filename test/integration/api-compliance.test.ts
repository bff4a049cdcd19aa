import type { EvaluationOptions } from '../../src/compliance/evaluate';
import { buildSageMakerArn } from '../../src/domain/aws/arn';
import { DEMO_ACCOUNT, DEMO_REGION } from '../../src/demo/story';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { createApiKey } from '../../src/auth/api-keys';
import { allPages, countingPool, ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * The compliance part of the API, over HTTP, on the demo story ingested with rule evaluation:
 * violations (list, one, nested under resources, principals and teams), the rule catalog, the
 * compliance summary, and the suppress / reopen lifecycle.
 */

const A = DEMO_ACCOUNT;
const sm = (type: string, name: string) => buildSageMakerArn(DEMO_REGION, A, type, name);
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;

const VIOLATION_FIELDS = `id ruleId severity status message evidence eventId eventTime resourceArn principalArn team accountId region
  firstSeen lastSeen resolvedAt resolvedByEventId suppressedReason suppressedBy suppressedUntil`;
const violationsQuery = `query Violations($filter: ViolationFilter, $first: Int, $after: String) {
  violations(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${VIOLATION_FIELDS} } }
  }
}`;
const SUPPRESS = `mutation($id: ID!, $reason: String!, $until: DateTime) {
  suppressViolation(id: $id, reason: $reason, until: $until) {
    id status suppressedReason suppressedBy suppressedUntil
    history { fromStatus toStatus reason changedBy changedAt until eventId }
  }
}`;
const REOPEN = `mutation($id: ID!, $reason: String!) {
  reopenViolation(id: $id, reason: $reason) {
    id status suppressedReason suppressedBy suppressedUntil resolvedAt resolvedByEventId
    history { fromStatus toStatus reason changedBy until eventId }
  }
}`;

interface StoredViolation {
  id: string;
  rule_id: string;
  severity: string;
  status: string;
  message: string;
  evidence: unknown;
  event_id: string;
  event_time: Date;
  resource_arn: string;
  principal_arn: string | null;
  team: string | null;
  account_id: string | null;
  region: string | null;
  first_seen: Date;
  last_seen: Date;
  resolved_at: Date | null;
  resolved_by_event_id: string | null;
  suppressed_reason: string | null;
  suppressed_by: string | null;
  suppressed_until: Date | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** A stored row as the API should show it. */
const asApi = (v: StoredViolation) => ({
  id: v.id,
  ruleId: v.rule_id,
  severity: v.severity,
  status: v.status,
  message: v.message,
  evidence: v.evidence,
  eventId: v.event_id,
  eventTime: iso(v.event_time),
  resourceArn: v.resource_arn === '' ? null : v.resource_arn,
  principalArn: v.principal_arn,
  team: v.team,
  accountId: v.account_id,
  region: v.region,
  firstSeen: iso(v.first_seen),
  lastSeen: iso(v.last_seen),
  resolvedAt: iso(v.resolved_at),
  resolvedByEventId: v.resolved_by_event_id,
  suppressedReason: v.suppressed_reason,
  suppressedBy: v.suppressed_by,
  suppressedUntil: iso(v.suppressed_until),
});

describe('the compliance API on the demo story', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };

  /** Every stored violation, newest offending event first (the API's order), read directly. */
  const stored = async (): Promise<StoredViolation[]> =>
    (await db.pool.query<StoredViolation>('SELECT * FROM violations ORDER BY event_time DESC, id DESC')).rows; // pg gives bigint as text
  const storedOne = async (id: string) => (await stored()).find((v) => v.id === id)!;
  const idOf = async (ruleId: string, resourceArn: string) => (await stored()).find((v) => v.rule_id === ruleId && v.resource_arn === resourceArn)!.id;
  const list = async (filter: Record<string, unknown> | null, first = 500) => (await api.data(violationsQuery, { filter, first })).violations;
  const errorOf = async (query: string, variables: Record<string, unknown>, headers?: Record<string, string>) => {
    const { body } = await api.post(query, variables, headers);
    expect(body.errors).toHaveLength(1);
    return { code: body.errors![0].extensions?.code, message: body.errors![0].message, data: body.data };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: the demo story, rules evaluated as it is ingested
    await ingestDemo(db, { evaluation });
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  describe('rules', () => {
    it('lists the catalog with severity, rationale, remediation and the events each rule reads', async () => {
      // Act
      const { rules } = await api.data('{ rules { id title severity rationale remediation reads { eventSource eventNames } } }');

      // Assert
      expect(rules).toEqual(
        ALL_RULES.map((r) => ({ id: r.id, title: r.title, severity: r.severity, rationale: r.rationale, remediation: r.remediation, reads: r.reads })),
      );
      expect(rules.find((r: any) => r.id === 'sagemaker-training-job-no-vpc')).toMatchObject({
        severity: 'HIGH',
        reads: [{ eventSource: 'sagemaker.amazonaws.com', eventNames: expect.arrayContaining(['CreateTrainingJob']) }],
      });
    });
  });

  describe('violations', () => {
    it('lists every violation newest first, each field as stored, with its rule, event, resource, principal, team and history', async () => {
      // Arrange
      const rows = await stored();

      // Act
      const conn = (
        await api.data(`{ violations(first: 500) {
          totalCount pageInfo { hasNextPage hasPreviousPage }
          edges { node { ${VIOLATION_FIELDS}
            rule { id } event { eventId eventName principal { arn } } resource { arn } principal { arn } ownerTeam { name }
            history { toStatus }
          } }
        } }`)
      ).violations;

      // Assert
      expect(rows.length).toBeGreaterThan(20);
      expect(conn.totalCount).toBe(rows.length);
      expect(conn.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false });
      const nodes = conn.edges.map((e: any) => e.node);
      expect(nodes.map(({ rule: _r, event: _e, resource: _s, principal: _p, ownerTeam: _t, history: _h, ...v }: any) => v)).toEqual(rows.map(asApi));
      for (const n of nodes) {
        expect(n.rule).toEqual({ id: n.ruleId });
        expect(n.event.eventId).toBe(n.eventId);
        expect(n.event.principal?.arn ?? null).toBe(n.principalArn);
        expect(n.resource?.arn ?? null).toBe(n.resourceArn);
        expect(n.principal?.arn ?? null).toBe(n.principalArn);
        expect(n.ownerTeam?.name ?? null).toBe(n.team);
        expect(n.evidence).toMatchObject({ eventId: n.eventId, eventName: n.event.eventName });
      }
      // the story has findings without a team (the platform admin's domain) and resolved ones (the deleted notebook)
      expect(nodes.some((n: any) => n.team === null && n.ownerTeam === null)).toBe(true);
      expect(nodes.some((n: any) => n.status === 'RESOLVED' && n.resolvedByEventId !== null && n.history.length === 1)).toBe(true);
    });

    it('finds one violation by id; null for an id that does not exist; BAD_USER_INPUT for one that is not an id', async () => {
      // Arrange
      const churn = await storedOne(await idOf('sagemaker-training-job-no-vpc', sm('training-job', 'churn-v7')));

      // Act
      const found = await api.data(`query($id: ID!) { violation(id: $id) { ${VIOLATION_FIELDS} rule { id severity } } }`, { id: churn.id });
      const missing = await api.data('{ violation(id: "999999") { id } }');
      const bad = await errorOf('{ violation(id: "churn-v7") { id } }', {});

      // Assert
      expect(found.violation).toEqual({ ...asApi(churn), rule: { id: 'sagemaker-training-job-no-vpc', severity: 'HIGH' } });
      expect(missing.violation).toBeNull();
      expect(bad.code).toBe('BAD_USER_INPUT');
      expect(bad.message).toMatch(/"churn-v7" is not a violation id/);
    });

    it('pages through every violation with no gap and no repeat, whatever the page size, ties on eventTime broken by id', async () => {
      // Arrange: several violations share one event (and so one eventTime)
      const expected = (await stored()).map((v) => v.id);
      const times = (await stored()).map((v) => v.event_time.getTime());
      expect(new Set(times).size).toBeLessThan(times.length);

      for (const first of [1, 4, 7, 25]) {
        // Act
        const { nodes, pages } = await allPages<any>(async (after) => {
          const conn = (await api.data(violationsQuery, { first, after })).violations;
          expect(conn.edges.length).toBeLessThanOrEqual(first);
          expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
          expect(conn.totalCount).toBe(expected.length);
          return conn;
        });

        // Assert
        expect(nodes.map((n) => n.id)).toEqual(expected);
        expect(pages).toBe(Math.ceil(expected.length / first));
      }
    });

    it('pages a filtered list the same way', async () => {
      // Arrange
      const expected = (await stored()).filter((v) => v.team === 'TeamA').map((v) => v.id);

      // Act
      const { nodes } = await allPages<any>(async (after) => (await api.data(violationsQuery, { filter: { team: 'TeamA' }, first: 3, after })).violations);

      // Assert
      expect(expected.length).toBeGreaterThan(6);
      expect(nodes.map((n) => n.id)).toEqual(expected);
    });

    it('combines filters with AND: rule, severity, status, team, account, resource, principal and a time window', async () => {
      // Arrange
      const rows = await stored();
      const ids = (pred: (v: StoredViolation) => boolean) => rows.filter(pred).map((v) => v.id);
      const from = new Date('2026-11-02T11:00:00Z');
      const to = new Date('2026-11-03T00:00:00Z');
      const teamBRole = role('SageMakerStudioDeveloperTeamBRole');
      const cases: [Record<string, unknown>, (v: StoredViolation) => boolean][] = [
        [{ ruleId: 'sagemaker-training-job-no-network-isolation', team: 'TeamA' }, (v) => v.rule_id === 'sagemaker-training-job-no-network-isolation' && v.team === 'TeamA'],
        [{ severity: 'MEDIUM', status: 'OPEN', accountId: A, from: from.toISOString(), to: to.toISOString() },
          (v) => v.severity === 'MEDIUM' && v.status === 'OPEN' && v.account_id === A && v.event_time >= from && v.event_time < to],
        [{ status: 'RESOLVED', team: 'TeamB' }, (v) => v.status === 'RESOLVED' && v.team === 'TeamB'],
        [{ resourceArn: sm('training-job', 'churn-v7'), severity: 'HIGH' }, (v) => v.resource_arn === sm('training-job', 'churn-v7') && v.severity === 'HIGH'],
        [{ principalArn: teamBRole, from: from.toISOString() }, (v) => v.principal_arn === teamBRole && v.event_time >= from],
        [{ team: 'TeamA', accountId: '999999999999' }, () => false],
      ];

      for (const [filter, pred] of cases) {
        // Act
        const conn = await list(filter);

        // Assert
        const want = ids(pred);
        expect({ filter, ids: conn.edges.map((e: any) => e.node.id) }).toEqual({ filter, ids: want });
        expect(conn.totalCount).toBe(want.length);
      }
      // the cases are not vacuous
      expect(ids(cases[0][1]).length).toBeGreaterThanOrEqual(3);
      expect(ids(cases[1][1]).length).toBeGreaterThanOrEqual(3);
      expect(ids(cases[2][1]).length).toBeGreaterThanOrEqual(1);
      expect(ids(cases[3][1])).toHaveLength(1);
      expect(ids(cases[4][1]).length).toBeGreaterThanOrEqual(2);
    });

    it('refuses a page too large, a cursor of another list and an unknown enum value', async () => {
      // Arrange
      const eventCursor = (await api.data('{ auditEvents(first: 1) { pageInfo { endCursor } } }')).auditEvents.pageInfo.endCursor;

      // Act
      const tooMany = await errorOf(violationsQuery, { first: 501 });
      const foreign = await errorOf(violationsQuery, { first: 5, after: eventCursor });
      const badStatus = await api.post(violationsQuery, { filter: { status: 'CLOSED' } });

      // Assert
      expect(tooMany).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/at most 500/) });
      expect(foreign).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/not a cursor of this list/) });
      expect(badStatus.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('the seed scenarios through the graph', () => {
    it("shows TeamB's denied DeleteExperiment on TeamA's experiment as access-cross-team-attempt among that resource's violations", async () => {
      // Arrange
      const experiment = sm('experiment', 'USERA1TEAMAEXPERIMENT1');

      // Act
      const { resource } = await api.data(
        `query($arn: String!) { resource(arn: $arn) { arn ownerTeam { name } violations { totalCount edges { node {
          ruleId status team principal { arn team { name } } event { eventName errorCode } resource { arn }
        } } } } }`,
        { arn: experiment },
      );

      // Assert
      expect(resource.ownerTeam.name).toBe('TeamA');
      const attempt = resource.violations.edges.map((e: any) => e.node).find((n: any) => n.ruleId === 'access-cross-team-attempt');
      expect(attempt).toEqual({
        ruleId: 'access-cross-team-attempt',
        status: 'OPEN',
        team: 'TeamB',
        principal: { arn: role('SageMakerStudioDeveloperTeamBRole'), team: { name: 'TeamB' } },
        event: { eventName: 'DeleteExperiment', errorCode: 'AccessDenied' },
        resource: { arn: resource.arn },
      });
      expect(resource.violations.totalCount).toBe(resource.violations.edges.length);
    });

    it("shows churn-v7's training-job-no-vpc among Team TeamA's violations, and the same finding from its principal", async () => {
      // Act
      const { team, principal } = await api.data(
        `query($role: String!) {
          team(name: "TeamA") {
            all: violations(first: 500) { totalCount edges { node { id team } } }
            noVpc: violations(filter: { ruleId: "sagemaker-training-job-no-vpc" }) { totalCount edges { node { id resourceArn severity status ownerTeam { name } resource { name } } } }
          }
          principal(arn: $role) { violations(filter: { ruleId: "sagemaker-training-job-no-vpc" }) { edges { node { id } } } }
        }`,
        { role: role('SageMakerStudioDeveloperTeamARole') },
      );

      // Assert
      expect(team.noVpc.totalCount).toBe(1);
      const [churn] = team.noVpc.edges.map((e: any) => e.node);
      expect(churn).toMatchObject({ resourceArn: sm('training-job', 'churn-v7'), severity: 'HIGH', status: 'OPEN', ownerTeam: { name: 'TeamA' }, resource: { name: 'churn-v7' } });
      expect(team.all.edges.every((e: any) => e.node.team === 'TeamA')).toBe(true);
      expect(team.all.totalCount).toBe((await stored()).filter((v) => v.team === 'TeamA').length);
      expect(principal.violations.edges.map((e: any) => e.node.id)).toEqual([churn.id]);
    });
  });

  describe('complianceSummary', () => {
    const WINDOW = { from: '2026-11-01T00:00:00Z', to: '2026-11-05T00:00:00Z' };
    const summary = async (groupBy: string[], window = WINDOW) =>
      (
        await api.data(
          `query($from: DateTime!, $to: DateTime!, $groupBy: [ComplianceGroupBy!]!) {
            complianceSummary(from: $from, to: $to, groupBy: $groupBy) { team ruleId accountId day open resolved suppressed total }
          }`,
          { ...window, groupBy },
        )
      ).complianceSummary;

    /** The expected rows, counted here from the stored violations (not by the API's SQL). */
    const expectedSummary = async (keys: ('team' | 'ruleId' | 'accountId' | 'day')[], window = WINDOW) => {
      const { rows } = await db.pool.query<{ team: string | null; rule_id: string; account_id: string | null; status: string; day: string }>(
        `SELECT team, rule_id, account_id, status, to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
           FROM violations WHERE event_time >= $1 AND event_time < $2`,
        [window.from, window.to],
      );
      const groups = new Map<string, any>();
      for (const r of rows) {
        const key = { team: null, ruleId: null, accountId: null, day: null } as Record<string, string | null>;
        if (keys.includes('team')) key.team = r.team;
        if (keys.includes('ruleId')) key.ruleId = r.rule_id;
        if (keys.includes('accountId')) key.accountId = r.account_id;
        if (keys.includes('day')) key.day = `${r.day}T00:00:00.000Z`;
        const k = JSON.stringify(key);
        const g = groups.get(k) ?? { ...key, open: 0, resolved: 0, suppressed: 0, total: 0 };
        g[r.status.toLowerCase()]++;
        g.total++;
        groups.set(k, g);
      }
      // the documented order: by each key as given, ascending, nulls last
      const cmp = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
      return [...groups.values()].sort((a, b) => keys.reduce((c, k) => c || cmp(a[k], b[k]), 0));
    };

    it('counts by TEAM, RULE, DAY and TEAM+RULE as the stored violations do', async () => {
      // Arrange: one suppressed violation, so every status is present
      await api.data(SUPPRESS, { id: await idOf('sagemaker-training-job-no-output-kms', sm('training-job', 'fraud-detect-1')), reason: 'fraud data is synthetic' });

      // Act
      const byTeam = await summary(['TEAM']);
      const byRule = await summary(['RULE']);
      const byDay = await summary(['DAY']);
      const byTeamRule = await summary(['TEAM', 'RULE']);
      const byRuleTeam = await summary(['RULE', 'TEAM']);

      // Assert
      expect(byTeam).toEqual(await expectedSummary(['team']));
      expect(byRule).toEqual(await expectedSummary(['ruleId']));
      expect(byDay).toEqual(await expectedSummary(['day']));
      expect(byTeamRule).toEqual(await expectedSummary(['team', 'ruleId']));
      expect(byRuleTeam).toEqual(await expectedSummary(['ruleId', 'team']));
      // what the story holds: TeamA, TeamB and the platform admin's findings with no team (last)
      expect(byTeam.map((r: any) => r.team)).toEqual(['TeamA', 'TeamB', null]);
      expect(byTeam.reduce((n: number, r: any) => n + r.total, 0)).toBe((await stored()).length);
      expect(byTeam.find((r: any) => r.team === 'TeamB')).toMatchObject({ resolved: expect.any(Number), suppressed: 1 });
      expect(byTeam.find((r: any) => r.team === 'TeamB').resolved).toBeGreaterThan(0);
      expect(byDay.map((r: any) => r.day)).toEqual(['2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z']);
      expect(byTeamRule.find((r: any) => r.team === 'TeamA' && r.ruleId === 'sagemaker-training-job-no-vpc')).toMatchObject({ open: 1, total: 1 });
    });

    it('counts only the window, by ACCOUNT and DAY, and in totals when grouped by nothing', async () => {
      // Arrange: the second day of the story only
      const day2 = { from: '2026-11-03T00:00:00Z', to: '2026-11-04T00:00:00Z' };

      // Act
      const byAccountDay = await summary(['ACCOUNT', 'DAY'], day2);
      const totals = await summary([], day2);
      const empty = await summary(['TEAM'], { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' });

      // Assert
      expect(byAccountDay).toEqual(await expectedSummary(['accountId', 'day'], day2));
      expect(byAccountDay).toHaveLength(1);
      expect(byAccountDay[0]).toMatchObject({ accountId: A, day: '2026-11-03T00:00:00.000Z', team: null, ruleId: null });
      const [expectedTotals] = await expectedSummary([], day2);
      expect(totals).toEqual([expectedTotals]);
      expect(empty).toEqual([]);
    });

    it('refuses a window that ends before it starts', async () => {
      // Act
      const err = await errorOf('{ complianceSummary(from: "2026-11-03T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: [TEAM]) { total } }', {});

      // Assert
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/must be after from/) });
    });
  });

  describe('suppressViolation and reopenViolation', () => {
    /** an admin key of its own for each person: changes are attributed to the key that made them */
    const person = async (name: string) => {
      const { row, key } = await createApiKey(db.pool, { name, role: 'admin' });
      return { headers: { authorization: `Bearer ${key}` }, by: `api-key:${name} (${row.id})` };
    };
    const changes = async (id: string) =>
      (await db.pool.query('SELECT from_status, to_status, reason, changed_by, until FROM violation_status_changes WHERE violation_id = $1 ORDER BY id', [id])).rows;

    it('suppresses an open violation as the caller, then reopens it, each change in its history', async () => {
      // Arrange
      const id = await idOf('sagemaker-training-job-no-network-isolation', sm('training-job', 'churn-v8'));
      const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const alice = await person('alice');
      const admin = `api-key:test-admin (${api.adminKey.split('_')[1]})`;

      // Act
      const suppressed = (await api.data(SUPPRESS, { id, reason: '  churn models train on public data  ', until }, alice.headers)).suppressViolation;
      const listedSuppressed = await list({ status: 'SUPPRESSED', ruleId: 'sagemaker-training-job-no-network-isolation' });
      const reopened = (await api.data(REOPEN, { id, reason: 'the data now includes customer records' })).reopenViolation;
      const again = (await api.data(`query($id: ID!) { violation(id: $id) { status history { fromStatus toStatus changedBy } } }`, { id })).violation;

      // Assert
      expect(suppressed).toMatchObject({
        id,
        status: 'SUPPRESSED',
        suppressedReason: 'churn models train on public data',
        suppressedBy: alice.by,
        suppressedUntil: until,
        history: [{ fromStatus: 'OPEN', toStatus: 'SUPPRESSED', reason: 'churn models train on public data', changedBy: alice.by, until, eventId: null }],
      });
      expect(listedSuppressed.edges.map((e: any) => e.node.id)).toContain(id);
      expect(reopened).toEqual({
        id,
        status: 'OPEN',
        suppressedReason: null,
        suppressedBy: null,
        suppressedUntil: null,
        resolvedAt: null,
        resolvedByEventId: null,
        history: [
          { fromStatus: 'OPEN', toStatus: 'SUPPRESSED', reason: 'churn models train on public data', changedBy: alice.by, until, eventId: null },
          // sent with the test's own admin key
          { fromStatus: 'SUPPRESSED', toStatus: 'OPEN', reason: 'the data now includes customer records', changedBy: admin, until: null, eventId: null },
        ],
      });
      expect(again).toEqual({ status: 'OPEN', history: [{ fromStatus: 'OPEN', toStatus: 'SUPPRESSED', changedBy: alice.by }, { fromStatus: 'SUPPRESSED', toStatus: 'OPEN', changedBy: admin }] });
      expect((await storedOne(id)).status).toBe('OPEN');
      expect(await changes(id)).toHaveLength(2);
    });

    it('suppresses with no end when until is absent', async () => {
      // Arrange
      const id = await idOf('sagemaker-training-job-no-intercontainer-encryption', sm('training-job', 'churn-v8'));

      const bob = await person('bob');

      // Act
      const v = (await api.data(SUPPRESS, { id, reason: 'single-instance job' }, bob.headers)).suppressViolation;

      // Assert
      expect(v).toMatchObject({ status: 'SUPPRESSED', suppressedBy: bob.by, suppressedUntil: null, history: [{ toStatus: 'SUPPRESSED', until: null, changedBy: bob.by }] });
    });

    it('reopens a resolved violation, clearing its resolution and keeping the resolving change in its history', async () => {
      // Arrange: the deleted notebook's findings were resolved by its DeleteNotebookInstance event
      const id = await idOf('sagemaker-notebook-root-access', sm('notebook-instance', 'teamb-scratch'));
      const before = await storedOne(id);
      const carol = await person('carol');

      // Act
      const v = (await api.data(REOPEN, { id, reason: 'a copy of the notebook still runs elsewhere' }, carol.headers)).reopenViolation;

      // Assert
      expect(before).toMatchObject({ status: 'RESOLVED', resolved_by_event_id: expect.any(String) });
      expect(v).toMatchObject({ status: 'OPEN', resolvedAt: null, resolvedByEventId: null });
      expect(v.history).toEqual([
        { fromStatus: 'OPEN', toStatus: 'RESOLVED', reason: 'the resource was deleted', changedBy: 'govgraph', until: null, eventId: before.resolved_by_event_id },
        { fromStatus: 'RESOLVED', toStatus: 'OPEN', reason: 'a copy of the notebook still runs elsewhere', changedBy: carol.by, until: null, eventId: null },
      ]);
    });

    it('lets only one of two concurrent suppressions of the same violation through', async () => {
      // Arrange
      const id = await idOf('sagemaker-training-job-no-volume-kms', sm('training-job', 'churn-v8'));

      const people = await Promise.all(['dave', 'erin'].map(async (name) => ({ name, ...(await person(name)) })));

      // Act
      const results = await Promise.all(people.map((p) => api.post(SUPPRESS, { id, reason: `accepted by ${p.name}` }, p.headers)));

      // Assert
      const ok = results.filter((r) => !r.body.errors);
      const refused = results.filter((r) => r.body.errors);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0].body.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(await changes(id)).toHaveLength(1);
    });

    it('answers clear errors and changes nothing: unknown id, wrong status, empty reason, until in the past', async () => {
      // Arrange
      const openId = await idOf('sagemaker-training-job-no-vpc', sm('training-job', 'churn-v7'));
      const suppressedId = await idOf('sagemaker-training-job-no-output-kms', sm('training-job', 'churn-v8'));
      const frank = await person('frank');
      await api.data(SUPPRESS, { id: suppressedId, reason: 'output bucket is encrypted by policy' }, frank.headers);
      const resolvedId = await idOf('sagemaker-notebook-no-kms', sm('notebook-instance', 'teamb-scratch'));
      const before = { open: await changes(openId), suppressed: await changes(suppressedId), resolved: await changes(resolvedId) };

      // Act
      const unknownSuppress = await errorOf(SUPPRESS, { id: '999999', reason: 'x' });
      const unknownReopen = await errorOf(REOPEN, { id: '999999', reason: 'x' });
      const notAnId = await errorOf(SUPPRESS, { id: 'abc', reason: 'x' });
      const alreadySuppressed = await errorOf(SUPPRESS, { id: suppressedId, reason: 'again' });
      const resolved = await errorOf(SUPPRESS, { id: resolvedId, reason: 'x' });
      const alreadyOpen = await errorOf(REOPEN, { id: openId, reason: 'x' });
      const emptyReason = await errorOf(SUPPRESS, { id: openId, reason: '   ' });
      const emptyReopenReason = await errorOf(REOPEN, { id: suppressedId, reason: '' });
      const past = await errorOf(SUPPRESS, { id: openId, reason: 'x', until: '2020-01-01T00:00:00Z' });
      const missingReason = await api.post('mutation { suppressViolation(id: "1") { id } }');

      // Assert
      expect(unknownSuppress).toMatchObject({ code: 'NOT_FOUND', message: 'no violation with id 999999', data: null });
      expect(unknownReopen).toMatchObject({ code: 'NOT_FOUND', message: 'no violation with id 999999' });
      expect(notAnId).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/"abc" is not a violation id/) });
      expect(alreadySuppressed).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`violation ${suppressedId} is already SUPPRESSED \\(by ${frank.by.replace(/[()]/g, '\\$&')}: "output bucket is encrypted by policy"\\); reopen it first`)) });
      expect(resolved).toMatchObject({ code: 'BAD_USER_INPUT', message: `violation ${resolvedId} is RESOLVED; only an OPEN violation can be suppressed` });
      expect(alreadyOpen).toMatchObject({ code: 'BAD_USER_INPUT', message: `violation ${openId} is already OPEN; only a SUPPRESSED or RESOLVED violation can be reopened` });
      expect(emptyReason).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^reason must not be empty/) });
      expect(emptyReopenReason).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^reason must not be empty/) });
      expect(past).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^until \(2020-01-01T00:00:00.000Z\) is not in the future/) });
      expect(missingReason.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect({ open: await changes(openId), suppressed: await changes(suppressedId), resolved: await changes(resolvedId) }).toEqual(before);
      expect((await storedOne(openId)).status).toBe('OPEN');
    });

    it('keeps CSRF prevention on: a mutation sent as a simple request is refused before it runs', async () => {
      // Arrange
      const id = await idOf('studio-presigned-url-other-user', sm('user-profile', 'd-6v3jqkqwprfq/user-a1'));

      // Act
      const res = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${api.adminKey}` },
        body: JSON.stringify({ query: SUPPRESS, variables: { id, reason: 'forged' } }),
      });

      // Assert
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
      expect((await storedOne(id)).status).toBe('OPEN');
      expect(await changes(id)).toEqual([]);
    });
  });

  describe('SQL statements per request', () => {
    it('loads pages of violations with their relations and nested violations of every team in a fixed number of statements', async () => {
      // Arrange: a second API over a pool that counts statements
      const pool = countingPool(db.url);
      const counted = await startApi(db, { pool });
      const countFor = async (query: string, variables?: Record<string, unknown>) => {
        pool.queries = [];
        const data = await counted.data(query, variables);
        return { data, statements: pool.queries.length, sql: [...pool.queries] };
      };
      const PAGE = `query($first: Int) { violations(first: $first) { edges { node {
        id rule { id } event { eventId principal { arn } } resource { arn ownerTeam { name } } principal { arn team { name } } ownerTeam { name } history { toStatus }
      } } } }`;
      const NESTED = `{ teams { name violations(first: 5) { totalCount edges { node { id resource { arn violations(first: 2) { totalCount edges { node { id } } } } } } } } }`;
      try {
        // Act
        const small = await countFor(PAGE, { first: 3 });
        const large = await countFor(PAGE, { first: 500 });
        const nested = await countFor(NESTED);

        // Assert
        console.info(`SQL statements for a page of 3 / all violations with relations: ${small.statements} / ${large.statements}; every team's violations with their resources' violations: ${nested.statements}`);
        expect(large.data.violations.edges.length).toBe((await stored()).length);
        // violations; events; principals by ARN and the events' principals by id; resources; teams by name, and by id
        // (principals' teams and resource owners may land in one batch or two); histories: the same whatever the page size
        expect(small.statements).toBeLessThanOrEqual(9);
        expect(large.statements).toBeLessThanOrEqual(9);
        expect(large.sql.filter((s) => /FROM violation_status_changes/.test(s))).toHaveLength(1);
        expect(nested.data.teams.some((t: any) => t.violations.totalCount > 0)).toBe(true);
        // teams; their violations' pages and counts; the resources; their violations' pages and counts
        expect(nested.statements).toBeLessThanOrEqual(6);
      } finally {
        await counted.stop();
        await pool.end();
      }
    });
  });
});
