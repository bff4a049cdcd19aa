/**
 * The AWS fetch layer over real HTTP: the SDK clients built by src/aws/clients.ts talk to a local
 * AWS JSON 1.1 server, so serialisation, signing, retries and paging all run as in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { assumedRoleArn, createCloudTrailClient, createTaggingClient, type AwsClientScope } from '../../src/aws/clients';
import { getTaggedResourcePages, type TaggedResourcePage } from '../../src/aws/get-resources';
import { getLookupEventsPages, type LookupEventsPage } from '../../src/aws/lookup-events';
import { createRequestPacer } from '../../src/aws/rate-limit';
import type { SourceRecord } from '../../src/domain/cloudtrail/types';
import {
  ASSUME_ROLE_TARGET,
  GET_RESOURCES_TARGET,
  LOOKUP_EVENTS_TARGET,
  startAwsJsonServer,
  type ApiTagMapping,
  type AwsJsonServer,
  type AwsJsonServerOptions,
  type RecordedRequest,
  type ServedEvent,
} from '../support/aws-json-server';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SOURCE = `lookup-events:${ACCOUNT}/${REGION}`;
const STATIC_KEY = 'AKIAGOVGRAPHTEST0001';
const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples', 'aws');
const samplesPresent = fs.existsSync(SAMPLES);
if (!samplesPresent) console.log(`[aws-fetch] ${SAMPLES} not found: skipping the tests driven by published AWS records`);
const describeSamples = samplesPresent ? describe : describe.skip;

// ---- environment: static credentials for the SDK's default chain ----

const savedEnv: Record<string, string | undefined> = {};
const TEST_ENV: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: STATIC_KEY,
  AWS_SECRET_ACCESS_KEY: 'govgraph-test-secret',
  AWS_SESSION_TOKEN: undefined,
  AWS_ENDPOINT_URL_STS: undefined,
};

beforeAll(() => {
  for (const [key, value] of Object.entries(TEST_ENV)) {
    savedEnv[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

afterAll(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

// ---- one server per test, and every client it used is closed afterwards ----

let server: AwsJsonServer;
const clients: { destroy(): void }[] = [];

async function startServer(options: AwsJsonServerOptions = {}): Promise<AwsJsonServer> {
  server = await startAwsJsonServer(options);
  return server;
}

function cloudTrail(scope: Partial<AwsClientScope> = {}): CloudTrailClient {
  const client = createCloudTrailClient({ accountId: ACCOUNT, region: REGION, endpoint: server.url, ...scope });
  clients.push(client);
  return client;
}

function tagging(scope: Partial<AwsClientScope> = {}): ResourceGroupsTaggingAPIClient {
  const client = createTaggingClient({ accountId: ACCOUNT, region: REGION, endpoint: server.url, ...scope });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
});

// ---- helpers ----

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

const recordsOf = (pages: LookupEventsPage[]): SourceRecord[] =>
  pages.flatMap((p) => p.items.flatMap((i) => (i.kind === 'record' ? [i.record] : [])));
const rejectedOf = (pages: LookupEventsPage[]) => pages.flatMap((p) => p.items.flatMap((i) => (i.kind === 'rejected' ? [i.rejected] : [])));
const eventIdOf = (r: SourceRecord) => (r.value as { eventID: string }).eventID;
const lookupRequests = (s: AwsJsonServer) => s.requests.filter((r) => r.target === LOOKUP_EVENTS_TARGET);

/** A CreateTrainingJob record as CloudTrail writes it (second precision, `Z`). */
function trainingJobRecord(n: number, eventTime: Date): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEROLEID0001:alice',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/TeamA-DataScientist/alice`,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/TeamA-DataScientist`, userName: 'TeamA-DataScientist' } },
    },
    eventTime: eventTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'sagemaker.amazonaws.com',
    eventName: 'CreateTrainingJob',
    awsRegion: REGION,
    requestParameters: { trainingJobName: `churn-v${n}` },
    responseElements: { trainingJobArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/churn-v${n}` },
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

/** `count` records one minute apart from `from`. */
function trainingJobRecords(count: number, from = new Date('2026-03-01T10:00:00Z')) {
  return Array.from({ length: count }, (_, n) => trainingJobRecord(n, new Date(from.getTime() + n * 60_000)));
}

const WIDE_WINDOW = { startTime: new Date('2026-01-01T00:00:00Z'), endTime: new Date('2026-06-01T00:00:00Z') };

/** The most requests that arrived within any one second (sliding window). */
function maxInAnySecond(requests: RecordedRequest[]): number {
  const times = requests.map((r) => r.monotonicMs).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j] - times[i] < 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

function readJsonLines(file: string): unknown[] {
  return fs
    .readFileSync(path.join(SAMPLES, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

// ---- LookupEvents ----

describe('LookupEvents fetch', () => {
  test('pages by NextToken across three pages and yields every record once, signed with the default chain credentials', async () => {
    // Arrange
    const records = trainingJobRecords(120);
    await startServer({ records });

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { ...WIDE_WINDOW, pacer: createRequestPacer(2) }));

    // Assert
    expect(pages.map((p) => [p.page, p.items.length])).toEqual([
      [1, 50],
      [2, 50],
      [3, 20],
    ]);
    const got = recordsOf(pages);
    expect(got.map(eventIdOf).sort()).toEqual(records.map((r) => r.eventID as string).sort());
    expect(new Set(got.map(eventIdOf)).size).toBe(120);
    expect(got[0]).toEqual({ source: SOURCE, position: 'page 1 Events[0]', value: records[119], text: JSON.stringify(records[119]) });
    expect(got[50].position).toBe('page 2 Events[0]');
    const requests = lookupRequests(server);
    expect(requests).toHaveLength(3);
    expect((requests[0].body as Record<string, unknown>).NextToken).toBeUndefined();
    expect((requests[1].body as Record<string, unknown>).NextToken).toBe(pages[0].nextToken);
    expect((requests[2].body as Record<string, unknown>).NextToken).toBe(pages[1].nextToken);
    expect(pages[2].nextToken).toBeNull();
    expect(requests[0].headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(requests[0].headers.authorization).toContain(`Credential=${STATIC_KEY}/`);
    expect(requests[0].headers.authorization).toContain(`/${REGION}/cloudtrail/aws4_request`);
  });

  test('sends startTime and endTime as epoch seconds and gets only the events inside the window, bounds included', async () => {
    // Arrange
    await startServer({ records: trainingJobRecords(10) }); // 10:00 … 10:09
    const startTime = new Date('2026-03-01T10:01:59.750Z');
    const endTime = new Date('2026-03-01T10:05:00.000Z');

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { startTime, endTime, pacer: createRequestPacer(2), maxResults: 3 }));

    // Assert
    const requests = lookupRequests(server);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) {
      expect(r.body).toMatchObject({ StartTime: 1772359319.75, EndTime: 1772359500, MaxResults: 3 });
    }
    expect(startTime.getTime() / 1000).toBe(1772359319.75);
    expect(recordsOf(pages).map((r) => (r.value as { eventTime: string }).eventTime)).toEqual([
      '2026-03-01T10:05:00Z',
      '2026-03-01T10:04:00Z',
      '2026-03-01T10:03:00Z',
      '2026-03-01T10:02:00Z',
    ]);
  });

  test('never lets more than 2 requests arrive in any one second', async () => {
    // Arrange
    await startServer({ records: trainingJobRecords(9) });
    const started = performance.now();

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { ...WIDE_WINDOW, pacer: createRequestPacer(2), maxResults: 2 }));

    // Assert
    const elapsed = performance.now() - started;
    const requests = lookupRequests(server);
    expect(pages).toHaveLength(5);
    expect(requests).toHaveLength(5);
    expect(maxInAnySecond(requests)).toBe(2);
    for (let i = 2; i < requests.length; i++) {
      expect(requests[i].monotonicMs - requests[i - 2].monotonicMs).toBeGreaterThanOrEqual(1000);
    }
    expect(elapsed).toBeLessThan(4000); // two full windows and a bit: pacing, not crawling
  });

  test('retries a throttled request (paced like any other) and still completes the fetch', async () => {
    // Arrange
    const records = trainingJobRecords(7);
    await startServer({ records });
    server.throttleNext(2);

    // Act
    const pages = await collect(
      getLookupEventsPages(cloudTrail({ maxAttempts: 4 }), { ...WIDE_WINDOW, pacer: createRequestPacer(2), maxResults: 3 }),
    );

    // Assert
    expect(recordsOf(pages).map(eventIdOf).sort()).toEqual(records.map((r) => r.eventID as string).sort());
    const requests = lookupRequests(server);
    expect(requests.map((r) => r.status)).toEqual([400, 400, 200, 200, 200]);
    expect(requests[1].headers['amz-sdk-request']).toBe('attempt=2; max=4');
    expect(requests[2].headers['amz-sdk-request']).toBe('attempt=3; max=4');
    expect(maxInAnySecond(requests)).toBeLessThanOrEqual(2);
  });

  test('gives up with ThrottlingException once the attempts run out', async () => {
    // Arrange
    await startServer({ records: trainingJobRecords(3) });
    server.throttleNext(10);

    // Act
    const fetching = collect(getLookupEventsPages(cloudTrail({ maxAttempts: 2 }), { ...WIDE_WINDOW, pacer: createRequestPacer(50) }));

    // Assert
    await expect(fetching).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(lookupRequests(server)).toHaveLength(2);
  });

  test('turns a CloudTrailEvent string that is not JSON into a rejected item and keeps going', async () => {
    // Arrange
    const good = trainingJobRecord(1, new Date('2026-03-01T10:00:00Z'));
    const broken = '{"eventVersion":"1.09","eventID":"00000000-0000-4000-8000-000000000002","eventTime":';
    const events: ServedEvent[] = [
      { cloudTrailEvent: JSON.stringify(good), eventTime: new Date('2026-03-01T10:00:00Z') },
      { cloudTrailEvent: broken, eventTime: new Date('2026-03-01T10:01:00Z') },
    ];
    await startServer({ events });

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { ...WIDE_WINDOW, pacer: createRequestPacer(2) }));

    // Assert
    expect(rejectedOf(pages)).toEqual([{ source: SOURCE, position: 'page 1 Events[0]', reason: expect.stringMatching(/^CloudTrailEvent is not JSON: /), raw: broken }]);
    expect(recordsOf(pages).map(eventIdOf)).toEqual([good.eventID]);
  });

  test('assumes the configured role in the member account and signs with the session it gets', async () => {
    // Arrange
    await startServer({
      records: trainingJobRecords(1),
      assumeRole: { accessKeyId: 'ASIAGOVGRAPHSESSION1', secretAccessKey: 'session-secret', sessionToken: 'session-token' },
    });
    process.env.AWS_ENDPOINT_URL_STS = server.url;

    try {
      // Act
      const pages = await collect(getLookupEventsPages(cloudTrail({ roleName: 'govgraph-reader' }), { ...WIDE_WINDOW, pacer: createRequestPacer(2) }));

      // Assert
      expect(recordsOf(pages)).toHaveLength(1);
      const [assume, lookup] = server.requests;
      expect(assume.target).toBe(ASSUME_ROLE_TARGET);
      expect(assume.body).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/govgraph-reader`, RoleSessionName: 'govgraph' });
      expect(assume.headers.authorization).toContain(`Credential=${STATIC_KEY}/`);
      expect(assume.headers.authorization).toContain(`/${REGION}/sts/aws4_request`);
      expect(lookup.target).toBe(LOOKUP_EVENTS_TARGET);
      expect(lookup.headers.authorization).toContain('Credential=ASIAGOVGRAPHSESSION1/');
      expect(lookup.headers['x-amz-security-token']).toBe('session-token');
      expect(assumedRoleArn({ accountId: ACCOUNT, region: 'cn-north-1', roleName: 'r' })).toBe(`arn:aws-cn:iam::${ACCOUNT}:role/r`);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_STS;
    }
  });
});

describeSamples('LookupEvents fetch with published CloudTrail records', () => {
  test('every CloudTrailEvent string of the published LookupEvents response comes through as received', async () => {
    // Arrange
    const published = readJsonLines('aws-cli.lookupevents.jsonl').flatMap(
      (response) => (response as { Events: { EventId: string; EventName: string; EventTime: string; CloudTrailEvent: string }[] }).Events,
    );
    const events: ServedEvent[] = published.map((e) => ({
      cloudTrailEvent: e.CloudTrailEvent,
      eventTime: new Date(e.EventTime),
      eventId: e.EventId,
      eventName: e.EventName,
    }));
    await startServer({ events });

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { startTime: new Date('2021-01-01T00:00:00Z'), endTime: new Date('2022-01-01T00:00:00Z'), pacer: createRequestPacer(2) }));

    // Assert
    expect(published.length).toBeGreaterThan(0);
    expect(rejectedOf(pages)).toEqual([]);
    const got = recordsOf(pages);
    expect(got.map((r) => r.text).sort()).toEqual(published.map((e) => e.CloudTrailEvent).sort());
    for (const r of got) expect(r.value).toEqual(JSON.parse(r.text));
  });

  test('every record of the published CloudTrail samples comes through once, as received', async () => {
    // Arrange
    const files = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.cloudtrail.jsonl')).sort();
    const lines = files.flatMap((f) =>
      fs
        .readFileSync(path.join(SAMPLES, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    // The service always has an event time; the few samples without a usable one are placed at the window's start.
    const windowStart = new Date('2000-01-01T00:00:00Z');
    const events: ServedEvent[] = lines.map((line) => {
      const eventTime = new Date((JSON.parse(line) as { eventTime?: unknown }).eventTime as string);
      return { cloudTrailEvent: line, eventTime: Number.isNaN(eventTime.getTime()) ? windowStart : eventTime };
    });
    await startServer({ events });

    // Act
    const pages = await collect(getLookupEventsPages(cloudTrail(), { startTime: windowStart, endTime: new Date('2030-01-01T00:00:00Z'), pacer: createRequestPacer(20) }));

    // Assert
    expect(files.length).toBeGreaterThan(0);
    expect(pages.length).toBe(Math.ceil(lines.length / 50));
    expect(rejectedOf(pages)).toEqual([]);
    const got = recordsOf(pages);
    expect(got.map((r) => r.text).sort()).toEqual([...lines].sort());
    for (const r of got) expect(r.value).toEqual(JSON.parse(r.text));
    expect(new Set(got.map((r) => r.position)).size).toBe(lines.length);
  });
});

// ---- GetResources ----

const tagsOf = (m: ApiTagMapping) => Object.fromEntries((m.Tags ?? []).map((t) => [t.Key, t.Value]));

describe('GetResources fetch', () => {
  test('narrows by resource type filters and turns tag lists into tag maps', async () => {
    // Arrange
    const mappings: ApiTagMapping[] = [
      { ResourceARN: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/churn-v7`, Tags: [{ Key: 'team', Value: 'TeamA' }] },
      { ResourceARN: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:notebook-instance/teama-nb`, Tags: [{ Key: 'team', Value: 'TeamA' }] },
      { ResourceARN: `arn:aws:s3:::teama-data`, Tags: [] },
    ];
    await startServer({ tagMappings: mappings });

    // Act
    const pages = await collect(getTaggedResourcePages(tagging(), { resourceTypeFilters: ['sagemaker:training-job'] }));

    // Assert
    expect(pages).toEqual<TaggedResourcePage[]>([
      { page: 1, mappings: [{ resourceArn: mappings[0].ResourceARN, tags: { team: 'TeamA' } }], paginationToken: null },
    ]);
    const [request] = server.requests;
    expect(request.target).toBe(GET_RESOURCES_TARGET);
    expect(request.body).toEqual({ ResourcesPerPage: 100, ResourceTypeFilters: ['sagemaker:training-job'] });
    expect(request.headers.authorization).toContain(`/${REGION}/tagging/aws4_request`);
  });
});

describeSamples('GetResources fetch with published responses', () => {
  test('pages by PaginationToken over the published tag mappings and yields every mapping', async () => {
    // Arrange
    const published = readJsonLines('cloud-custodian.getresources.jsonl').flatMap(
      (line) => (line as { data: { ResourceTagMappingList?: ApiTagMapping[] } }).data.ResourceTagMappingList ?? [],
    );
    await startServer({ tagMappings: published, resourcesPageCap: 25 });

    // Act
    const pages = await collect(getTaggedResourcePages(tagging()));

    // Assert
    expect(published.length).toBeGreaterThan(50);
    expect(pages.length).toBe(Math.ceil(published.length / 25));
    expect(pages.map((p) => p.page)).toEqual(pages.map((_, i) => i + 1));
    expect(pages.flatMap((p) => p.mappings)).toEqual(published.map((m) => ({ resourceArn: m.ResourceARN, tags: tagsOf(m) })));
    const requests = server.requests.filter((r) => r.target === GET_RESOURCES_TARGET);
    expect((requests[0].body as Record<string, unknown>).PaginationToken).toBeUndefined();
    for (let i = 1; i < requests.length; i++) {
      expect(requests[i].body).toEqual({ ResourcesPerPage: 100, PaginationToken: pages[i - 1].paginationToken });
    }
    expect(pages[pages.length - 1].paginationToken).toBeNull();
  });
});
