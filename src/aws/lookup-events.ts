/**
 * Fetch stage for the LookupEvents API: one time window of one account and region, page by
 * page. Each event's `CloudTrailEvent` is the CloudTrail record as a JSON string; it becomes a
 * source record (parsed value + the string as received) or, when it is not JSON, a rejected item.
 */
import { CloudTrailClient, LookupEventsCommand, type Event as LookupEvent } from '@aws-sdk/client-cloudtrail';
import type { SourceItem } from '../domain/cloudtrail/source-item';
import { scopeOfClient } from './clients';
import type { RequestPacer } from './rate-limit';

/** LookupEvents returns at most 50 events a page. */
export const LOOKUP_EVENTS_MAX_RESULTS = 50;

export interface LookupEventsPage {
  /** 1-based */
  page: number;
  items: SourceItem[];
  /** the token of the next page; null on the last page */
  nextToken: string | null;
}

export interface LookupEventsOptions {
  /** inclusive bounds on eventTime, as the service applies them */
  startTime: Date;
  endTime: Date;
  /** every HTTP attempt (retries included) waits for it: the 2 requests/s limit counts them all */
  pacer: RequestPacer;
  /** events per page, 1..50 (default 50) */
  maxResults?: number;
  /** names the source of the records; default: the scope the client was created for */
  scope?: { accountId: string; region: string };
}

export async function* getLookupEventsPages(client: CloudTrailClient, options: LookupEventsOptions): AsyncGenerator<LookupEventsPage> {
  const maxResults = options.maxResults ?? LOOKUP_EVENTS_MAX_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > LOOKUP_EVENTS_MAX_RESULTS) {
    throw new RangeError(`maxResults must be 1..${LOOKUP_EVENTS_MAX_RESULTS}, got ${maxResults}`);
  }
  if (!(options.startTime.getTime() <= options.endTime.getTime())) {
    throw new RangeError(`startTime ${options.startTime.toISOString()} is after endTime ${options.endTime.toISOString()}`);
  }
  const source = `lookup-events:${await scopeKey(client, options.scope)}`;
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    const command = new LookupEventsCommand({
      StartTime: options.startTime,
      EndTime: options.endTime,
      MaxResults: maxResults,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
    // Pace inside the SDK's retry loop (finalizeRequest, after retry and signing), so a retried
    // attempt waits for its turn like any other request.
    command.middlewareStack.add(
      (next) => async (args) => {
        await options.pacer.wait();
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'govgraphRequestPacer' },
    );
    const output = await client.send(command);
    const items = (output.Events ?? []).map((event, i) => toSourceItem(event, source, `page ${page} Events[${i}]`));
    const token = output.NextToken ? output.NextToken : null;
    if (token !== null && token === nextToken) throw new Error(`LookupEvents returned the same NextToken twice (page ${page})`);
    yield { page, items, nextToken: token };
    if (token === null) return;
    nextToken = token;
  }
}

function toSourceItem(event: LookupEvent, source: string, position: string): SourceItem {
  const text = event.CloudTrailEvent;
  if (typeof text !== 'string') {
    return { kind: 'rejected', rejected: { source, position, reason: 'event has no CloudTrailEvent string', raw: JSON.stringify(event) } };
  }
  try {
    return { kind: 'record', record: { source, position, value: JSON.parse(text) as unknown, text } };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'rejected', rejected: { source, position, reason: `CloudTrailEvent is not JSON: ${message}`, raw: text } };
  }
}

async function scopeKey(client: CloudTrailClient, scope: LookupEventsOptions['scope']): Promise<string> {
  const known = scope ?? scopeOfClient(client);
  if (known) return `${known.accountId}/${known.region}`;
  return `unknown-account/${await client.config.region()}`;
}
