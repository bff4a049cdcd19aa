/**
 * A local stand-in for the AWS endpoints govgraph calls, spoken over real HTTP so the SDK's own
 * serialisation, signing, retries and deserialisation run in tests.
 *
 * AWS JSON 1.1 (`POST /`, `content-type: application/x-amz-json-1.1`, `x-amz-target`,
 * timestamps as epoch seconds, errors as a 400 with `{"__type": …}`):
 * - `CloudTrail_20131101.LookupEvents`: the served events whose eventTime lies in
 *   [StartTime, EndTime] (both inclusive), newest first, at most MaxResults (1..50, default 50)
 *   a page, an opaque NextToken tied to the query, no NextToken on the last page.
 * - `ResourceGroupsTaggingAPI_20170126.GetResources`: the served tag mappings, optionally
 *   narrowed by ResourceTypeFilters, at most ResourcesPerPage (1..100, default 50) a page,
 *   `PaginationToken: ""` on the last page.
 * STS AssumeRole (AWS Query: form body, XML answer) is answered too, for clients that assume a
 * role when `AWS_ENDPOINT_URL_STS` points here.
 *
 * Every request is recorded (target, parsed body, arrival time, status) for assertions, and
 * `throttleNext(k)` answers the next k JSON requests with a ThrottlingException.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from './listen';

export const LOOKUP_EVENTS_TARGET = 'CloudTrail_20131101.LookupEvents';
export const GET_RESOURCES_TARGET = 'ResourceGroupsTaggingAPI_20170126.GetResources';
export const ASSUME_ROLE_TARGET = 'sts:AssumeRole';

/** One LookupEvents event as the server holds it; `cloudTrailEvent` is sent exactly as given. */
export interface ServedEvent {
  cloudTrailEvent: string;
  eventTime: Date;
  eventId?: string;
  eventName?: string;
  eventSource?: string;
  username?: string;
}

/** A tag mapping in the API's own shape (an element of `ResourceTagMappingList`). */
export interface ApiTagMapping {
  ResourceARN: string;
  Tags?: { Key: string; Value: string }[];
  [other: string]: unknown;
}

export interface RecordedRequest {
  /** `x-amz-target`, or `sts:AssumeRole` for an STS Query request */
  target: string | null;
  /** parsed JSON body (the form fields for STS); undefined when it could not be parsed */
  body: unknown;
  headers: IncomingHttpHeaders;
  /** when the request arrived (its headers were read) */
  at: Date;
  /** the same instant on the monotonic clock (`performance.now()`), for spacing assertions */
  monotonicMs: number;
  status: number;
}

export interface AssumeRoleAnswer {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

export interface AwsJsonServerOptions {
  /** CloudTrail records (objects); each is served as JSON.stringify(record), at its eventTime */
  records?: readonly object[];
  /** events served as given (takes the place of `records` when both are set) */
  events?: readonly ServedEvent[];
  tagMappings?: readonly ApiTagMapping[];
  /**
   * GetResources may return fewer resources than asked for; this caps a page below
   * ResourcesPerPage so a small set still spans several pages.
   */
  resourcesPageCap?: number;
  assumeRole?: AssumeRoleAnswer;
}

export interface AwsJsonServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** answer the next k JSON 1.1 requests with 400 ThrottlingException */
  throttleNext(k: number): void;
  setRecords(records: readonly object[]): void;
  setEvents(events: readonly ServedEvent[]): void;
  setTagMappings(mappings: readonly ApiTagMapping[]): void;
  close(): Promise<void>;
}

/** Serve a CloudTrail record the way LookupEvents would: its text, time and summary fields. */
export function servedEventFromRecord(record: object): ServedEvent {
  const r = record as Record<string, unknown>;
  const eventTime = typeof r.eventTime === 'string' ? new Date(r.eventTime) : new Date(NaN);
  if (Number.isNaN(eventTime.getTime())) {
    throw new Error(`record has no usable eventTime (${JSON.stringify(r.eventTime)}); serve it with setEvents and an explicit time`);
  }
  const identity = (typeof r.userIdentity === 'object' && r.userIdentity !== null ? r.userIdentity : {}) as Record<string, unknown>;
  return {
    cloudTrailEvent: JSON.stringify(record),
    eventTime,
    ...(typeof r.eventID === 'string' ? { eventId: r.eventID } : {}),
    ...(typeof r.eventName === 'string' ? { eventName: r.eventName } : {}),
    ...(typeof r.eventSource === 'string' ? { eventSource: r.eventSource } : {}),
    ...(typeof identity.userName === 'string' ? { username: identity.userName } : {}),
  };
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface IssuedToken {
  offset: number;
  /** the query the token continues; a token used with another query is refused, like the service does */
  query: string;
}

export async function startAwsJsonServer(options: AwsJsonServerOptions = {}): Promise<AwsJsonServer> {
  let events: ServedEvent[] = options.events ? [...options.events] : (options.records ?? []).map(servedEventFromRecord);
  let mappings: ApiTagMapping[] = [...(options.tagMappings ?? [])];
  let throttles = 0;
  const requests: RecordedRequest[] = [];
  const tokens = new Map<string, IssuedToken>();

  const issueToken = (offset: number, query: string): string => {
    const token = Buffer.from(randomUUID()).toString('base64');
    tokens.set(token, { offset, query });
    return token;
  };
  const offsetOf = (token: unknown, query: string, errorType: string): number => {
    if (token === undefined || token === null || token === '') return 0;
    const issued = typeof token === 'string' ? tokens.get(token) : undefined;
    if (!issued || issued.query !== query) throw new AwsError(400, errorType, 'Invalid pagination token');
    return issued.offset;
  };

  const lookupEvents = (input: Record<string, unknown>): unknown => {
    const maxResults = input.MaxResults ?? 50;
    if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 50) {
      throw new AwsError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50');
    }
    const startMs = epochSecondsToMs(input.StartTime, 'StartTime') ?? Number.NEGATIVE_INFINITY;
    const endMs = epochSecondsToMs(input.EndTime, 'EndTime') ?? Number.POSITIVE_INFINITY;
    if (startMs > endMs) throw new AwsError(400, 'InvalidTimeRangeException', 'StartTime is after EndTime');
    const query = JSON.stringify({ target: LOOKUP_EVENTS_TARGET, startMs, endMs, attrs: input.LookupAttributes ?? null });
    const offset = offsetOf(input.NextToken, query, 'InvalidNextTokenException');
    const matching = events
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.eventTime.getTime() >= startMs && e.eventTime.getTime() <= endMs)
      .sort((a, b) => b.e.eventTime.getTime() - a.e.eventTime.getTime() || a.i - b.i)
      .map(({ e }) => e);
    const page = matching.slice(offset, offset + (maxResults as number));
    const next = offset + page.length;
    return {
      Events: page.map((e) => ({
        ...(e.eventId !== undefined ? { EventId: e.eventId } : {}),
        ...(e.eventName !== undefined ? { EventName: e.eventName } : {}),
        ...(e.eventSource !== undefined ? { EventSource: e.eventSource } : {}),
        ...(e.username !== undefined ? { Username: e.username } : {}),
        EventTime: e.eventTime.getTime() / 1000,
        Resources: [],
        CloudTrailEvent: e.cloudTrailEvent,
      })),
      ...(next < matching.length ? { NextToken: issueToken(next, query) } : {}),
    };
  };

  const getResources = (input: Record<string, unknown>): unknown => {
    const perPage = input.ResourcesPerPage ?? 50;
    if (!Number.isInteger(perPage) || (perPage as number) < 1 || (perPage as number) > 100) {
      throw new AwsError(400, 'InvalidParameterException', 'ResourcesPerPage must be between 1 and 100');
    }
    const filters = Array.isArray(input.ResourceTypeFilters) ? (input.ResourceTypeFilters as string[]) : [];
    const query = JSON.stringify({ target: GET_RESOURCES_TARGET, filters });
    const offset = offsetOf(input.PaginationToken, query, 'InvalidParameterException');
    const matching = filters.length === 0 ? mappings : mappings.filter((m) => filters.some((f) => matchesTypeFilter(m.ResourceARN, f)));
    const size = Math.min(perPage as number, options.resourcesPageCap ?? Number.POSITIVE_INFINITY);
    const page = matching.slice(offset, offset + size);
    const next = offset + page.length;
    return {
      PaginationToken: next < matching.length ? issueToken(next, query) : '',
      ResourceTagMappingList: page,
    };
  };

  const assumeRole = (form: Record<string, string>): string => {
    const creds = options.assumeRole;
    if (!creds) throw new AwsError(403, 'AccessDenied', 'AssumeRole is not configured on this server');
    const roleArn = form.RoleArn ?? '';
    const sessionName = form.RoleSessionName ?? '';
    const expiration = (creds.expiration ?? new Date(Date.now() + 3_600_000)).toISOString();
    return (
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
      `<AssumedRoleUser><Arn>${xml(roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${xml(sessionName)}</Arn>` +
      `<AssumedRoleId>AROATEST:${xml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${xml(creds.accessKeyId)}</AccessKeyId><SecretAccessKey>${xml(creds.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xml(creds.sessionToken)}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  };

  const server = http.createServer((req, res) => {
    const recorded: RecordedRequest = {
      target: typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : null,
      body: undefined,
      headers: req.headers,
      at: new Date(),
      monotonicMs: performance.now(),
      status: 0,
    };
    requests.push(recorded);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, contentType: string, payload: string) => {
        recorded.status = status;
        res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
        res.end(payload);
      };
      const sendJson = (status: number, payload: unknown) => send(status, 'application/x-amz-json-1.1', JSON.stringify(payload));
      try {
        if (req.method !== 'POST' || req.url !== '/') throw new AwsError(404, 'UnknownOperationException', `${req.method} ${req.url}`);
        if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) {
          throw new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
        }
        const contentType = req.headers['content-type'] ?? '';
        if (contentType.startsWith('application/x-www-form-urlencoded')) {
          const form = Object.fromEntries(new URLSearchParams(text));
          recorded.body = form;
          if (form.Action !== 'AssumeRole') throw new AwsError(400, 'InvalidAction', `unsupported action ${form.Action}`);
          recorded.target = ASSUME_ROLE_TARGET;
          return send(200, 'text/xml', assumeRole(form));
        }
        if (contentType !== 'application/x-amz-json-1.1') throw new AwsError(400, 'SerializationException', `content-type ${contentType}`);
        let input: unknown;
        try {
          input = JSON.parse(text || '{}');
        } catch {
          throw new AwsError(400, 'SerializationException', 'body is not JSON');
        }
        recorded.body = input;
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsError(400, 'SerializationException', 'body is not a JSON object');
        if (throttles > 0) {
          throttles--;
          throw new AwsError(400, 'ThrottlingException', 'Rate exceeded');
        }
        if (recorded.target === LOOKUP_EVENTS_TARGET) return sendJson(200, lookupEvents(input as Record<string, unknown>));
        if (recorded.target === GET_RESOURCES_TARGET) return sendJson(200, getResources(input as Record<string, unknown>));
        throw new AwsError(400, 'UnknownOperationException', `unknown target ${recorded.target}`);
      } catch (err) {
        if (err instanceof AwsError) return sendJson(err.status, { __type: err.type, message: err.message });
        return sendJson(500, { __type: 'InternalFailure', message: err instanceof Error ? err.message : String(err) });
      }
    });
  });

  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    throttleNext(k) {
      throttles = k;
    },
    setRecords(records) {
      events = records.map(servedEventFromRecord);
      tokens.clear();
    },
    setEvents(served) {
      events = [...served];
      tokens.clear();
    },
    setTagMappings(list) {
      mappings = [...list];
      tokens.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** JSON 1.1 timestamps are epoch seconds (the SDK sends milliseconds as a fraction). */
function epochSecondsToMs(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AwsError(400, 'SerializationException', `${field} must be epoch seconds`);
  return Math.round(value * 1000);
}

/** `service` or `service:resourceType`, as GetResources' ResourceTypeFilters. */
function matchesTypeFilter(arn: string, filter: string): boolean {
  const [service, type] = filter.split(':', 2);
  const parts = arn.trim().split(':');
  if (parts.length < 6 || parts[2] !== service) return false;
  if (type === undefined) return true;
  const resource = parts.slice(5).join(':');
  return resource.split(/[:/]/, 1)[0] === type;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
