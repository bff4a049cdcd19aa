import { buildSageMakerArn } from '../../src/domain/aws/arn';
import { DEMO_ACCOUNT, DEMO_DOMAIN_ID, DEMO_REGION, demoCloudTrailRecords, demoTagMappings } from '../../src/demo/story';
import { ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/** Every query of the API, over HTTP, on the demo story ingested through the real pipeline. */

const A = DEMO_ACCOUNT;
const sm = (type: string, name: string) => buildSageMakerArn(DEMO_REGION, A, type, name);
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;
const user = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const records = demoCloudTrailRecords();
const recordById = new Map(records.map((r) => [r.eventID, r]));
/** The story newest first, as the API orders events (time, then eventId, both descending). */
const newestFirst = [...records].sort((a, b) => b.eventTime.localeCompare(a.eventTime) || (a.eventID < b.eventID ? 1 : -1));
const tagsOf = (arn: string) => Object.fromEntries(demoTagMappings().find((m) => m.ResourceARN === arn)!.Tags.map((t) => [t.Key, t.Value]));

const EVENT_FIELDS = `eventId eventTime eventSource eventName errorCode awsRegion accountId principalArn sessionName
  principal { arn type team { name } } resources { arn ownerTeam { name } }`;
const eventsQuery = `query Events($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${EVENT_FIELDS} } }
  }
}`;

describe('the GraphQL API on the demo story', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const events = async (filter: Record<string, unknown> | null, first = 500) => (await api.data(eventsQuery, { filter, first })).auditEvents;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestDemo(db);
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  describe('auditEvents', () => {
    it('lists every event newest first, each with its principal, resources and the record as received', async () => {
      // Act
      const data = await api.data(`{ auditEvents(first: 500) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { eventId eventTime userAgent sourceIpAddress errorMessage raw } } } }`);

      // Assert
      const conn = data.auditEvents;
      expect(conn.totalCount).toBe(records.length);
      expect(conn.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false });
      expect(conn.edges.map((e: any) => e.node.eventId)).toEqual(newestFirst.map((r) => r.eventID));
      for (const { node } of conn.edges) {
        const record = recordById.get(node.eventId)!;
        expect(node.raw).toEqual(record);
        expect(node.eventTime).toBe(new Date(record.eventTime).toISOString());
        expect(node.userAgent).toBe(record.userAgent);
        expect(node.sourceIpAddress).toBe(record.sourceIPAddress);
        expect(node.errorMessage).toBe(record.errorMessage ?? null);
      }
    });

    it('resolves an assumed-role session to its issuing role and keeps the session name on the event', async () => {
      // Act
      const { edges } = await events({ eventName: 'DeleteExperiment' });

      // Assert
      expect(edges).toHaveLength(1);
      expect(edges[0].node).toMatchObject({
        principalArn: role('SageMakerStudioDeveloperTeamBRole'),
        sessionName: 'SageMaker',
        errorCode: 'AccessDenied',
        principal: { arn: role('SageMakerStudioDeveloperTeamBRole'), type: 'ROLE', team: { name: 'TeamB' } },
        resources: [{ arn: sm('experiment', 'USERA1TEAMAEXPERIMENT1'), ownerTeam: { name: 'TeamA' } }],
      });
    });

    it('combines filters with AND: source, error code, account, region and a time window', async () => {
      // Arrange
      const from = '2026-11-03T00:00:00Z';
      const to = '2026-11-03T12:00:00Z';
      const expected = newestFirst.filter(
        (r) => r.eventSource === 'sagemaker.amazonaws.com' && r.errorCode === 'AccessDenied' && r.eventTime >= from.replace('Z', '') && r.eventTime < to.replace('Z', ''),
      );

      // Act
      const conn = await events({ eventSource: 'sagemaker.amazonaws.com', errorCode: 'AccessDenied', accountId: A, region: DEMO_REGION, from, to });
      const wrongRegion = await events({ eventSource: 'sagemaker.amazonaws.com', errorCode: 'AccessDenied', region: 'eu-west-1' });

      // Assert
      expect(expected.map((r) => r.eventName)).toEqual(['CreatePresignedDomainUrl', 'DeleteExperiment']);
      expect(conn.edges.map((e: any) => e.node.eventId)).toEqual(expected.map((r) => r.eventID));
      expect(conn.totalCount).toBe(2);
      expect(wrongRegion).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, startCursor: null, endCursor: null } });
    });

    it('filters by principal and by resource touched', async () => {
      // Arrange
      const churn = sm('training-job', 'churn-v7');

      // Act
      const byRole = await events({ principalArn: role('SageMakerStudioDeveloperTeamARole') });
      const byResource = await events({ resourceArn: churn });
      const byUserAndName = await events({ principalArn: user('user-b1'), eventName: 'CreatePresignedDomainUrl' });

      // Assert
      const teamARoleEvents = newestFirst.filter((r) => (r.userIdentity as any).sessionContext?.sessionIssuer?.userName === 'SageMakerStudioDeveloperTeamARole');
      expect(byRole.edges.map((e: any) => e.node.eventId)).toEqual(teamARoleEvents.map((r) => r.eventID));
      expect(byResource.edges.map((e: any) => e.node.eventName)).toEqual(['CreateTrainingJob']);
      expect(byResource.edges[0].node.resources.map((r: any) => r.arn)).toContain(churn);
      expect(byUserAndName.edges).toHaveLength(1);
      expect(byUserAndName.edges[0].node.principal.arn).toBe(user('user-b1'));
    });

    it("filters by team: the team's own principals' events OR events touching its resources", async () => {
      // Arrange: every event, with what decides team membership
      const all = (await events(null)).edges.map((e: any) => e.node);
      const ofTeam = (team: string) => (e: any) => e.principal?.team?.name === team || e.resources.some((r: any) => r.ownerTeam?.name === team);

      // Act
      const teamA = await events({ team: 'TeamA' });
      const unknown = await events({ team: 'NoSuchTeam' });

      // Assert
      const ids = teamA.edges.map((e: any) => e.node.eventId);
      expect(ids).toEqual(all.filter(ofTeam('TeamA')).map((e: any) => e.eventId));
      expect(teamA.totalCount).toBe(ids.length);
      // TeamB's denied attempt on TeamA's experiment is TeamA's business (the security dashboard's question)
      const deleteExperiment = teamA.edges.find((e: any) => e.node.eventName === 'DeleteExperiment');
      expect(deleteExperiment?.node.principal.team.name).toBe('TeamB');
      expect(teamA.edges.some((e: any) => e.node.eventName === 'DeleteNotebookInstance')).toBe(false);
      expect(unknown.totalCount).toBe(0);
    });

    it('pages through every event with no gap and no repeat, whatever the page size', async () => {
      for (const first of [1, 4, 7, 25]) {
        // Act
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const conn: any = (await api.data(eventsQuery, { first, after })).auditEvents;
          pages++;
          expect(conn.edges.length).toBeLessThanOrEqual(first);
          expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
          expect(conn.pageInfo.startCursor).toBe(conn.edges[0]?.cursor ?? null);
          seen.push(...conn.edges.map((e: any) => e.node.eventId));
          if (!conn.pageInfo.hasNextPage) break;
          after = conn.pageInfo.endCursor;
        }

        // Assert
        expect(seen).toEqual(newestFirst.map((r) => r.eventID));
        expect(pages).toBe(Math.ceil(records.length / first));
      }
    });

    it('pages through a filtered list with the same filter', async () => {
      // Act
      const filter = { team: 'TeamA', eventSource: 'sagemaker.amazonaws.com' };
      const whole = (await events(filter)).edges.map((e: any) => e.node.eventId);
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const conn: any = (await api.data(eventsQuery, { filter, first: 3, after })).auditEvents;
        paged.push(...conn.edges.map((e: any) => e.node.eventId));
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);

      // Assert
      expect(whole.length).toBeGreaterThan(3);
      expect(paged).toEqual(whole);
    });
  });

  describe('principal and principals', () => {
    it('finds a principal by ARN with its team, tags and latest events', async () => {
      // Act
      const data = await api.data(`{ principal(arn: "${user('user-a1')}") {
        arn type accountId name awsPrincipalId firstSeen lastSeen team { name } tags { key value } recentEvents(first: 1) { eventName }
      } }`);

      // Assert
      expect(data.principal).toEqual({
        arn: user('user-a1'), type: 'IAM_USER', accountId: A, name: 'user-a1', awsPrincipalId: 'AIDA6ODU5QAHEXAMPLEA1',
        // first seen when the administrator created the user (CreateUser at 08:05), before its own first call at 09:00
        firstSeen: '2026-11-02T08:05:00.000Z', lastSeen: '2026-11-02T09:01:00.000Z', team: { name: 'TeamA' },
        tags: [{ key: 'studiouserid', value: 'user-a1' }, { key: 'team', value: 'TeamA' }],
        recentEvents: [{ eventName: 'CreatePresignedDomainUrl' }],
      });
    });

    it('finds the issuing role from an assumed-role session ARN; an unknown principal is null', async () => {
      // Act
      const data = await api.data(`{
        session: principal(arn: "arn:aws:sts::${A}:assumed-role/SageMakerStudioDeveloperTeamBRole/SageMaker") { arn type }
        unknown: principal(arn: "${role('NobodyHasThisRole')}") { arn }
        service: principal(arn: "sagemaker.amazonaws.com") { arn }
      }`);

      // Assert
      expect(data).toEqual({ session: { arn: role('SageMakerStudioDeveloperTeamBRole'), type: 'ROLE' }, unknown: null, service: null });
    });

    it('filters principals by team, type and tag, and pages through them', async () => {
      // Act
      const q = `query($filter: PrincipalFilter, $first: Int, $after: String) { principals(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { arn } } } }`;
      const arns = async (filter: object) => (await api.data(q, { filter })).principals.edges.map((e: any) => e.node.arn).sort();
      const teamA = await arns({ team: 'TeamA' });
      const users = await arns({ type: 'IAM_USER' });
      const bound = await arns({ tagKey: 'studiouserid' });
      const teamBUsers = await arns({ tagKey: 'team', tagValue: 'TeamB', type: 'IAM_USER' });
      const everyone = (await api.data(q, { first: 500 })).principals;
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const conn: any = (await api.data(q, { first: 2, after })).principals;
        paged.push(...conn.edges.map((e: any) => e.node.arn));
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);

      // Assert
      expect(teamA).toEqual([role('SageMakerExecRole-ml-product-team'), role('SageMakerStudioDeveloperTeamARole'), user('user-a1'), user('user-a2')]);
      expect(users).toEqual([user('platform-admin'), user('user-a1'), user('user-a2'), user('user-b1')]);
      expect(bound).toEqual([user('user-a1'), user('user-a2'), user('user-b1')]);
      expect(teamBUsers).toEqual([user('user-b1')]);
      expect(everyone.totalCount).toBe(8);
      expect(paged).toEqual(everyone.edges.map((e: any) => e.node.arn));
      expect(new Set(paged).size).toBe(8);
    });
  });

  describe('resource and resources', () => {
    it('gives a resource with tags, tag history, owner, creator, lifecycle and its events', async () => {
      // Arrange
      const arn = sm('training-job', 'churn-v7');
      const create = records.find((r) => (r.requestParameters as any)?.trainingJobName === 'churn-v7')!;

      // Act
      const data = await api.data(`{ resource(arn: "${arn}") {
        arn service resourceType name region accountId createdAt createdEventId firstSeen lastSeen deletedAt deletedEventId deleted
        tags { key value } tagHistory { key value from to sourceEventId sourceSyncRunId }
        ownerTeam { name } createdBy { arn team { name } }
        events(first: 10) { totalCount edges { node { eventId eventName } } }
      } }`);

      // Assert
      const r = data.resource;
      expect(r).toMatchObject({
        arn, service: 'sagemaker', resourceType: 'training-job', name: 'churn-v7', region: DEMO_REGION, accountId: A,
        createdAt: new Date(create.eventTime).toISOString(), createdEventId: create.eventID, deletedAt: null, deletedEventId: null, deleted: false,
        tags: [{ key: 'project', value: 'churn' }, { key: 'team', value: 'TeamA' }],
        ownerTeam: { name: 'TeamA' },
        createdBy: { arn: role('SageMakerStudioDeveloperTeamARole'), team: { name: 'TeamA' } },
        events: { totalCount: 1, edges: [{ node: { eventId: create.eventID, eventName: 'CreateTrainingJob' } }] },
      });
      // team set by the create event; project first observed by the tag sync
      expect(r.tagHistory).toEqual([
        { key: 'project', value: 'churn', from: '2026-11-04T00:00:00.000Z', to: null, sourceEventId: null, sourceSyncRunId: expect.stringMatching(/^\d+$/) },
        { key: 'team', value: 'TeamA', from: new Date(create.eventTime).toISOString(), to: null, sourceEventId: create.eventID, sourceSyncRunId: null },
      ]);
    });

    it('knows deleted resources and those only the inventory lists', async () => {
      // Act
      const data = await api.data(`{
        scratch: resource(arn: "${sm('notebook-instance', 'teamb-scratch')}") { deleted deletedAt deletedEventId ownerTeam { name } }
        model: resource(arn: "${sm('model', 'churn-model-v6')}") { createdAt createdBy { arn } ownerTeam { name } tags { key value } }
        nothing: resource(arn: "${sm('training-job', 'never-ran')}") { arn }
      }`);

      // Assert
      const deleteEvent = records.find((r) => r.eventName === 'DeleteNotebookInstance')!;
      expect(data.scratch).toEqual({ deleted: true, deletedAt: new Date(deleteEvent.eventTime).toISOString(), deletedEventId: deleteEvent.eventID, ownerTeam: { name: 'TeamB' } });
      expect(data.model).toEqual({ createdAt: null, createdBy: null, ownerTeam: { name: 'TeamA' }, tags: [{ key: 'team', value: 'TeamA' }] });
      expect(data.nothing).toBeNull();
    });

    it('filters resources by team, service, type, account, region, tag and deletion, and pages through them', async () => {
      // Arrange
      const q = `query($filter: ResourceFilter, $first: Int, $after: String) { resources(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { arn } } } }`;
      const arns = async (filter: object) => (await api.data(q, { filter })).resources.edges.map((e: any) => e.node.arn).sort();

      // Act
      const teamAJobs = await arns({ team: 'TeamA', service: 'sagemaker', resourceType: 'training-job', accountId: A, region: DEMO_REGION });
      const deleted = await arns({ deleted: true });
      const churnProject = await arns({ tagKey: 'project', tagValue: 'churn' });
      const bound = await arns({ tagKey: 'studiouserid', deleted: false, service: 'sagemaker' });
      const s3 = await arns({ service: 's3', team: 'platform' });
      const all = (await api.data(q, { first: 500 })).resources;
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const conn: any = (await api.data(q, { first: 5, after })).resources;
        paged.push(...conn.edges.map((e: any) => e.node.arn));
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);

      // Assert
      expect(teamAJobs).toEqual([sm('training-job', 'churn-v7'), sm('training-job', 'churn-v8'), sm('training-job', 'sagemaker-tensorflow-2026-11-03-14-05-12-117')]);
      expect(deleted).toEqual([sm('notebook-instance', 'teamb-scratch')]);
      expect(churnProject).toEqual([sm('training-job', 'churn-v7'), sm('training-job', 'churn-v8')]);
      expect(bound).toEqual(['user-a1', 'user-a2', 'user-b1'].map((u) => sm('user-profile', `${DEMO_DOMAIN_ID}/${u}`)).sort());
      expect(s3).toEqual([`arn:aws:s3:::ml-artifacts-${A}`]);
      expect(paged).toEqual(all.edges.map((e: any) => e.node.arn));
      expect(new Set(paged).size).toBe(all.totalCount);
      for (const m of demoTagMappings()) expect(paged).toContain(m.ResourceARN);
    });

    it("pages through a resource's events", async () => {
      // Arrange: the experiment was created by TeamA and then TeamB tried to delete it
      const arn = sm('experiment', 'USERA1TEAMAEXPERIMENT1');
      const q = `query($arn: String!, $after: String) { resource(arn: $arn) { events(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { eventName } } } } }`;

      // Act
      const first = (await api.data(q, { arn })).resource.events;
      const second = (await api.data(q, { arn, after: first.pageInfo.endCursor })).resource.events;

      // Assert
      expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { eventName: 'DeleteExperiment' } }] });
      expect(second).toMatchObject({ pageInfo: { hasNextPage: false }, edges: [{ node: { eventName: 'CreateExperiment' } }] });
    });
  });

  describe('teams and team', () => {
    it('lists every team with members, resources and recent events', async () => {
      // Act
      const data = await api.data(`{ teams {
        name
        members(first: 200) { totalCount edges { node { arn } } }
        resources(first: 200) { totalCount edges { node { arn ownerTeam { name } } } }
        live: resources(deleted: false) { totalCount }
        recentEvents(first: 3) { eventId }
      } }`);

      // Assert
      expect(data.teams.map((t: any) => t.name)).toEqual(['TeamA', 'TeamB', 'platform']);
      const byName = Object.fromEntries(data.teams.map((t: any) => [t.name, t]));
      const owned = (team: string) => demoTagMappings().filter((m) => tagsOf(m.ResourceARN).team === team).map((m) => m.ResourceARN);
      for (const team of ['TeamA', 'TeamB', 'platform']) {
        const t = byName[team];
        expect(t.resources.edges.every((e: any) => e.node.ownerTeam.name === team)).toBe(true);
        expect(t.resources.edges.map((e: any) => e.node.arn)).toEqual(expect.arrayContaining(owned(team)));
        expect(t.resources.totalCount).toBe(t.resources.edges.length);
        expect(t.members.totalCount).toBe(t.members.edges.length);
        expect(t.recentEvents.length).toBe(3);
      }
      expect(byName.TeamB.live.totalCount).toBe(byName.TeamB.resources.totalCount - 1); // teamb-scratch was deleted
      expect(byName.TeamB.members.edges.map((e: any) => e.node.arn)).toEqual([role('SageMakerStudioDeveloperTeamBRole'), user('user-b1')]);
      expect(byName.platform.members.totalCount).toBe(0);
    });

    it("gives one team by name, its recent events being the team filter's newest", async () => {
      // Act
      const data = await api.data(`{ team(name: "TeamA") { name createdAt members(first: 1) { totalCount pageInfo { hasNextPage } } recentEvents(first: 5) { eventId } }
        none: team(name: "teama") { name } }`);
      const filtered = await events({ team: 'TeamA' }, 5);

      // Assert
      expect(data.team).toMatchObject({ name: 'TeamA', members: { totalCount: 4, pageInfo: { hasNextPage: true } } });
      expect(data.team.recentEvents.map((e: any) => e.eventId)).toEqual(filtered.edges.map((e: any) => e.node.eventId));
      expect(data.none).toBeNull();
    });

    it("pages through a team's members and resources", async () => {
      // Arrange
      const q = `query($after: String) { team(name: "TeamA") { resources(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { arn } } } } }`;

      // Act
      const paged: string[] = [];
      let after: string | null = null;
      let total = 0;
      do {
        const conn: any = (await api.data(q, { after })).team.resources;
        total = conn.totalCount;
        paged.push(...conn.edges.map((e: any) => e.node.arn));
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);

      // Assert
      expect(paged).toHaveLength(total);
      expect(new Set(paged).size).toBe(total);
      expect(total).toBeGreaterThan(3);
    });
  });

  describe('whoOwns', () => {
    it('answers for an ARN with team, basis, evidence, creator, contacts and a message', async () => {
      // Arrange
      const arn = sm('training-job', 'churn-v7');

      // Act
      const data = await api.data(`query($q: String!) { whoOwns(query: $q) {
        query matchedBy teamName team { name } basis message
        resources { arn }
        evidence { kind resourceArn tagKey tagValue since sourceEventId }
        createdByArn createdBy { arn type }
        contacts { principalArn eventCount lastEventTime principal { name } }
        matches { resourceArn resource { name } teamName team { name } basis explanation createdByArn createdBy { arn } evidence { kind } contacts { principalArn } }
      } }`, { q: arn });

      // Assert
      const w = data.whoOwns;
      expect(w).toMatchObject({
        query: arn, matchedBy: 'ARN', teamName: 'TeamA', team: { name: 'TeamA' }, basis: 'TAG',
        resources: [{ arn }],
        createdByArn: role('SageMakerStudioDeveloperTeamARole'),
        createdBy: { arn: role('SageMakerStudioDeveloperTeamARole'), type: 'ROLE' },
      });
      expect(w.message).toMatch(/TeamA/);
      expect(w.evidence[0]).toMatchObject({ kind: 'TAG', resourceArn: arn, tagKey: 'team', tagValue: 'TeamA' });
      expect(w.contacts[0]).toMatchObject({ principalArn: role('SageMakerStudioDeveloperTeamARole'), eventCount: 1, principal: { name: 'SageMakerStudioDeveloperTeamARole' } });
      expect(w.matches).toHaveLength(1);
      expect(w.matches[0]).toMatchObject({ resourceArn: arn, resource: { name: 'churn-v7' }, teamName: 'TeamA', team: { name: 'TeamA' }, basis: 'TAG' });
      expect(w.matches[0].explanation).toBe(w.message);
    });

    it('answers for a bare name, and says plainly when nothing matches', async () => {
      // Act
      const data = await api.data(`{
        byName: whoOwns(query: "fraud-detect-1") { matchedBy teamName basis resources { arn } }
        none: whoOwns(query: "no-such-job") { matchedBy teamName team { name } basis message matches { resourceArn } resources { arn } evidence { kind } contacts { principalArn } createdBy { arn } }
      }`);

      // Assert
      expect(data.byName).toEqual({ matchedBy: 'NAME', teamName: 'TeamB', basis: 'TAG', resources: [{ arn: sm('training-job', 'fraud-detect-1') }] });
      expect(data.none).toMatchObject({ matchedBy: 'NONE', teamName: null, team: null, basis: 'UNKNOWN', matches: [], resources: [], evidence: [], contacts: [], createdBy: null });
      expect(data.none.message).toMatch(/no-such-job/);
    });
  });
});
