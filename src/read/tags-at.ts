import { jsonbKeyOrder } from '../db/jsonb-order';
import type { Queryable } from './sql';

/** A resource's tags at a moment; `known` false when govgraph has no record of the resource. */
export interface TagsAt {
  known: boolean;
  tags: Record<string, string>;
  /** the account the inventory records it in (null when unknown): what tells it for ARNs that name none */
  accountId: string | null;
}

export interface TagsAtRequest {
  arn: string;
  at: Date;
  /** leave out the changes this event itself made: the tags as they stood just before it */
  excludeEventId?: string | null;
}

/**
 * Tags of each (ARN, moment) from the tag history: per key, the latest observation at or before the
 * moment (latest by time, then id), removed keys absent, keys in jsonb's order. One query reads the
 * history of the ARNs asked up to the latest moment asked (in microseconds, as stored); the requests
 * are answered from it, in their order. Rule evaluation and the access service both read tags so.
 */
export async function tagsAt(db: Queryable, requests: readonly TagsAtRequest[]): Promise<TagsAt[]> {
  if (requests.length === 0) return [];
  const arns = [...new Set(requests.map((r) => r.arn))].sort();
  const latest = new Date(requests.reduce((max, r) => Math.max(max, r.at.getTime()), -8.64e15));
  const { rows } = await db.query<{ arn: string; account_id: string | null; tag_key: string | null; tag_value: string | null; source_event_id: string | null; at_us: string | null }>(
    `SELECT r.arn, r.account_id, c.tag_key, c.tag_value, c.source_event_id, (extract(epoch FROM c.changed_at) * 1000000)::bigint::text AS at_us
       FROM resources r
       LEFT JOIN resource_tag_changes c ON c.resource_id = r.id AND c.changed_at <= $2
      WHERE r.arn = ANY($1::text[])
      ORDER BY r.arn, c.tag_key, c.changed_at DESC, c.id DESC`,
    [arns, latest],
  );
  type Change = { value: string | null; sourceEventId: string | null; atUs: number };
  // arn → tag key → its observations, latest first
  const history = new Map<string, Map<string, Change[]>>();
  const accounts = new Map<string, string | null>();
  for (const r of rows) {
    let byKey = history.get(r.arn);
    if (!byKey) {
      history.set(r.arn, (byKey = new Map()));
      accounts.set(r.arn, r.account_id);
    }
    if (r.tag_key === null) continue;
    let changes = byKey.get(r.tag_key);
    if (!changes) byKey.set(r.tag_key, (changes = []));
    changes.push({ value: r.tag_value, sourceEventId: r.source_event_id, atUs: Number(r.at_us) });
  }
  return requests.map((q) => {
    const byKey = history.get(q.arn);
    if (!byKey) return { known: false, tags: {}, accountId: null };
    const atUs = q.at.getTime() * 1000;
    const exclude = q.excludeEventId ?? null;
    const entries: [string, string][] = [];
    for (const [key, changes] of byKey) {
      const c = changes.find((x) => x.atUs <= atUs && (exclude === null || x.sourceEventId !== exclude));
      if (c && c.value !== null) entries.push([key, c.value]);
    }
    // fromEntries makes "__proto__" an own key, as JSON.parse does
    entries.sort((a, b) => jsonbKeyOrder(a[0], b[0]));
    return { known: true, tags: Object.fromEntries(entries), accountId: accounts.get(q.arn) ?? null };
  });
}

/**
 * tagsAt's rule inside a larger set-based statement (many resources, each at its own moment): a
 * lateral join whose `<alias>.tags` is the jsonb of the tags resource `resourceId` carried at `at`
 * (both SQL expressions), `{}` when none or no resource. Per key the latest observation at or
 * before the moment (latest by time, then id); removed keys absent.
 */
export function tagsAsOfJoin(alias: string, resourceId: string, at: string): string {
  return `LEFT JOIN LATERAL (
         SELECT COALESCE(jsonb_object_agg(l.tag_key, l.tag_value) FILTER (WHERE l.tag_value IS NOT NULL), '{}'::jsonb) AS tags
           FROM (SELECT DISTINCT ON (c.tag_key) c.tag_key, c.tag_value FROM resource_tag_changes c
                  WHERE c.resource_id = ${resourceId} AND c.changed_at <= ${at}
                  ORDER BY c.tag_key, c.changed_at DESC, c.id DESC) l
       ) ${alias} ON true`;
}
