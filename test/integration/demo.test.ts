import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { demoDir, demoFiles } from '../../src/demo/demo-files';
import { withReadmeQueries } from '../../src/demo/readme-queries';
import { askGraphQL, DEMO_QUERIES, runDemo } from '../../src/demo/run-demo';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL } from '../support/redis';

const README = path.resolve(__dirname, '../../README.md');

describe('the demo a new user runs first', () => {
  let db: TestDatabase;
  let printed = '';
  let api: { url: string; key: string; stop: () => Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL });
    api = await runDemo(config, { serve: true, port: 0, out: (t) => (printed += t) });
  });
  afterAll(async () => {
    await api.stop();
    await db.drop();
  });

  it('ships its data in the repository, as the story writes it', () => {
    // Act / Assert: the committed files are exactly what src/demo/story.ts produces
    for (const f of demoFiles()) {
      expect(readFileSync(path.join(demoDir(), f.relativePath)).equals(f.content)).toBe(true);
    }
  });

  it('ingests every demo record and prints three queries with answers', () => {
    // Assert
    expect(printed).toMatch(/cloudtrail: read 26, stored 26, duplicates 0, conflicts 0, rejected 0/);
    expect(printed).toMatch(/tags: read 13, resources 13, deleted 0, rejected 0/);
    for (const q of DEMO_QUERIES) expect(printed).toContain(q.query);
    expect(printed).toContain('training-job churn-v7 is owned by TeamA');
  });

  it("keeps the README's example queries identical to the demo's", () => {
    // Act
    const readme = readFileSync(README, 'utf8');

    // Assert: regenerate with `npm run readme:queries`
    expect(withReadmeQueries(readme)).toBe(readme);
  });

  it('answers the README queries: the owner of churn-v7, TeamB denied on TeamA\'s experiment, TeamA\'s training jobs', async () => {
    // Act
    const [owner, experiment, jobs] = (await Promise.all(DEMO_QUERIES.map((q) => askGraphQL(api.url, q.query, undefined, api.key)))) as any[];

    // Assert
    for (const answer of [owner, experiment, jobs]) expect(answer.errors).toBeUndefined();
    expect(owner.data.whoOwns).toMatchObject({ team: { name: 'TeamA' }, basis: 'TAG', createdBy: { arn: 'arn:aws:iam::111122223333:role/SageMakerStudioDeveloperTeamARole' } });
    const events = experiment.data.auditEvents.edges.map((e: any) => e.node);
    expect(events).toContainEqual(expect.objectContaining({ eventName: 'DeleteExperiment', errorCode: 'AccessDenied', principal: expect.objectContaining({ team: { name: 'TeamB' } }) }));
    expect(jobs.data.resources.edges.map((e: any) => e.node.name).sort()).toEqual(['churn-v7', 'churn-v8', 'sagemaker-tensorflow-2026-11-03-14-05-12-117']);
  });

  it('stores nothing new when run again', async () => {
    // Arrange
    let again = '';
    const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL });

    // Act
    await runDemo(config, { serve: false, port: 0, out: (t) => (again += t) });

    // Assert
    expect(again).toMatch(/cloudtrail: read 26, stored 0, duplicates 26, conflicts 0, rejected 0/);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM audit_events');
    expect(rows[0].n).toBe(26);
  });

  it('makes every seed scenario observable', async () => {
    // Act
    const q = async (query: string) => ((await askGraphQL(api.url, query, undefined, api.key)) as any).data;
    const denied = await q('{ auditEvents(filter: { errorCode: "AccessDenied" }, first: 50) { edges { node { eventName principalArn resourceArns errorMessage } } } }');
    const notebooks = await q('{ resources(filter: { resourceType: "notebook-instance" }, first: 10) { edges { node { name deleted ownerTeam { name } createdBy { arn } } } } }');
    const profiles = await q('{ resources(filter: { resourceType: "user-profile" }, first: 10) { edges { node { name tags { key value } } } } }');

    // Assert: the preventive control denied a training job without a VPC
    const names = denied.auditEvents.edges.map((e: any) => e.node);
    expect(names).toContainEqual(expect.objectContaining({ eventName: 'CreateTrainingJob', errorMessage: expect.stringMatching(/explicit deny/) }));
    // a presigned Studio URL was asked for another user's profile, and denied
    expect(names).toContainEqual(expect.objectContaining({ eventName: 'CreatePresignedDomainUrl', principalArn: 'arn:aws:iam::111122223333:user/user-a2', resourceArns: expect.arrayContaining([expect.stringMatching(/user-profile\/d-6v3jqkqwprfq\/user-a1$/)]) }));
    // the Service Catalog notebook and the hand-made one (since deleted)
    const nb = Object.fromEntries(notebooks.resources.edges.map((e: any) => [e.node.name, e.node]));
    expect(nb['teama-ds-notebook']).toMatchObject({ deleted: false, ownerTeam: { name: 'TeamA' }, createdBy: { arn: 'arn:aws:iam::111122223333:role/SC-111122223333-ProductLaunchRole' } });
    expect(nb['teamb-scratch']).toMatchObject({ deleted: true, ownerTeam: { name: 'TeamB' } });
    // one Studio profile lacks the studiouserid tag
    const untagged = profiles.resources.edges.map((e: any) => e.node).filter((p: any) => !p.tags.some((t: any) => t.key === 'studiouserid'));
    expect(untagged.map((p: any) => p.name)).toEqual(['contractor-x']);
  });
});
