import type { Queryable } from '../read/sql';
import { parseArn } from '../domain/aws/arn';
import type {
  OwnershipAnswer,
  OwnershipBasis,
  OwnershipContact,
  OwnershipEvidence,
  ResourceOwnership,
} from '../domain/ownership/types';

/**
 * "Who owns X?" for a chat message: X is a full ARN or a bare resource name. Set-based and
 * bounded: one query finds the matches, then three more (run side by side) fetch, for all
 * matches at once, the team tag's history, the creators with their tags at creation time, and
 * the most active principals. Four queries however many resources the name matches.
 */

export interface WhoOwnsOptions {
  /** the tag whose value names a team (TEAM_TAG_KEY) */
  teamTagKey: string;
  /** contacts per resource; default 3 */
  contactsLimit?: number;
  /** resources returned for an ambiguous name; default 20 */
  maxMatches?: number;
}

const BASIS_RANK: Readonly<Record<OwnershipBasis, number>> = { TAG: 0, CREATOR_TAG: 1, CREATOR_TEAM: 2, NAMING: 3, UNKNOWN: 4 };

const BASIS_WORDS: Readonly<Record<OwnershipBasis, string>> = {
  TAG: 'team tag',
  CREATOR_TAG: "the creator's team tag at creation",
  CREATOR_TEAM: "the creator's team today",
  NAMING: 'a naming hint only',
  UNKNOWN: 'nothing',
};

export async function whoOwns(pool: Queryable, query: string, opts: WhoOwnsOptions): Promise<OwnershipAnswer> {
  const contactsLimit = Math.max(0, Math.floor(opts.contactsLimit ?? 3));
  const maxMatches = Math.max(1, Math.floor(opts.maxMatches ?? 20));
  const q = query.trim();
  const none = (message: string): OwnershipAnswer => ({ query: q, matchedBy: 'NONE', matches: [], team: null, basis: 'UNKNOWN', message });

  if (q === '') return none('Ask with an ARN or a resource name: the question was empty.');
  const asArn = /^arn:/i.test(q);
  if (asArn && !parseArn(q)) return none(`"${q}" looks like an ARN but is not a well-formed one, so no resource matches it.`);

  const found = await findMatches(pool, q, asArn, opts.teamTagKey, maxMatches);
  if (found.rows.length === 0) {
    return none(
      asArn
        ? `No resource with ARN ${q} is in the inventory: no CloudTrail event or tag listing seen so far names it.`
        : `No resource named "${q}" is in the inventory (names are matched whole, ignoring case).`,
    );
  }

  const ids = found.rows.map((r) => r.id);
  const [since, creators, contacts] = await Promise.all([
    teamTagSince(pool, ids, opts.teamTagKey),
    creatorsOf(pool, ids, opts.teamTagKey),
    contactsLimit > 0 ? contactsOf(pool, found.rows.map((r) => r.arn), contactsLimit) : Promise.resolve(new Map<string, OwnershipContact[]>()),
  ]);

  const withLocation = found.rows.length > 1;
  const matches = found.rows.map((row) =>
    decide(row, since.get(row.id) ?? null, creators.get(row.id) ?? null, contacts.get(row.arn) ?? [], opts.teamTagKey, withLocation),
  );
  return summarise(q, asArn ? 'ARN' : 'NAME', matches, found.rows, found.total);
}

// ---- queries ---------------------------------------------------------------------------------

interface MatchRow {
  id: string;
  arn: string;
  service: string;
  resource_type: string | null;
  name: string | null;
  region: string | null;
  account_id: string | null;
  team_tag: string | null;
  deleted_at: Date | null;
  /** existing teams whose name appears as a whole word in the resource's name */
  naming_teams: { team: string; word: string }[];
  total: string;
}

/** Lower-case letters and digits, every other run of characters one space, trimmed. */
const words = (sql: string) => `btrim(regexp_replace(lower(${sql}), '[^a-z0-9]+', ' ', 'g'))`;

async function findMatches(pool: Queryable, q: string, asArn: boolean, teamTagKey: string, maxMatches: number) {
  // SageMaker lower-cases names in its ARNs; an ARN pasted with the name's own case still matches.
  const arnCandidates = asArn ? arnSpellings(q) : [];
  const { rows } = await pool.query<MatchRow>(
    `SELECT r.id::text AS id, r.arn, r.service, r.resource_type, r.name, r.region, r.account_id,
            NULLIF(r.tags->>$2, '') AS team_tag, r.deleted_at,
            COALESCE((SELECT json_agg(json_build_object('team', t.name, 'word', ${words('t.name')}) ORDER BY t.name)
                        FROM teams t
                       WHERE ${words('t.name')} <> ''
                         AND ' ' || ${words('COALESCE(r.name, \'\')')} || ' ' LIKE '% ' || ${words('t.name')} || ' %'), '[]'::json) AS naming_teams,
            count(*) OVER () AS total
       FROM resources r
      WHERE ${asArn ? 'r.arn = ANY($1::text[])' : 'lower(r.name) = lower($1::text)'}
      ORDER BY (r.deleted_at IS NOT NULL), r.last_seen DESC, r.arn
      LIMIT $3`,
    [asArn ? arnCandidates : q, teamTagKey, maxMatches],
  );
  return { rows, total: rows.length > 0 ? Number(rows[0].total) : 0 };
}

function arnSpellings(arn: string): string[] {
  const parsed = parseArn(arn)!;
  if (parsed.service !== 'sagemaker') return [arn];
  const prefix = arn.slice(0, arn.length - parsed.resource.length);
  const lowered = prefix + parsed.resource.toLowerCase();
  return lowered === arn ? [arn] : [arn, lowered];
}

interface SinceRow {
  resource_id: string;
  tag_value: string;
  since: Date;
  source_event_id: string | null;
  source_sync_run_id: string | null;
  event_name: string | null;
  principal_arn: string | null;
  principal_type: string | null;
  principal_name: string | null;
}

/**
 * For each resource, the observation that started the current value of its team tag: the
 * earliest observation of that value with no other value observed after it (a sync run or a
 * repeated AddTags that saw the same value again does not move "since").
 */
async function teamTagSince(pool: Queryable, ids: string[], teamTagKey: string): Promise<Map<string, SinceRow>> {
  const { rows } = await pool.query<SinceRow>(
    `SELECT DISTINCT ON (c.resource_id)
            c.resource_id::text AS resource_id, c.tag_value, c.changed_at AS since,
            c.source_event_id, c.source_sync_run_id::text AS source_sync_run_id,
            e.event_name, p.arn AS principal_arn, p.principal_type, p.name AS principal_name
       FROM resources r
       JOIN resource_tag_changes c ON c.resource_id = r.id AND c.tag_key = $2 AND c.tag_value = r.tags->>$2
       LEFT JOIN audit_events e ON e.event_id = c.source_event_id AND e.event_time = c.changed_at
       LEFT JOIN principals p ON p.id = e.principal_id
      WHERE r.id = ANY($1::bigint[])
        AND NOT EXISTS (SELECT 1 FROM resource_tag_changes d
                         WHERE d.resource_id = c.resource_id AND d.tag_key = $2
                           AND (d.changed_at, d.id) > (c.changed_at, c.id)
                           AND d.tag_value IS DISTINCT FROM c.tag_value)
      ORDER BY c.resource_id, c.changed_at, c.id`,
    [ids, teamTagKey],
  );
  return new Map(rows.map((r) => [r.resource_id, r]));
}

interface CreatorRow {
  resource_id: string;
  created_event_id: string | null;
  created_at: Date | null;
  event_name: string | null;
  creator_arn: string | null;
  creator_type: string | null;
  creator_name: string | null;
  creator_team_today: string | null;
  creator_tag_today: string | null;
  /** whether the creator's own tag history has any observation of the team tag at or before the create */
  creator_history_then: boolean;
  creator_tag_then: string | null;
}

/** The create event, its principal, the principal's team today, and its team tag as of the create. */
async function creatorsOf(pool: Queryable, ids: string[], teamTagKey: string): Promise<Map<string, CreatorRow>> {
  const { rows } = await pool.query<CreatorRow>(
    `SELECT r.id::text AS resource_id, r.created_event_id, r.created_at, e.event_name,
            p.arn AS creator_arn, p.principal_type AS creator_type, p.name AS creator_name,
            t.name AS creator_team_today, NULLIF(p.tags->>$2, '') AS creator_tag_today,
            (h.tag_key IS NOT NULL) AS creator_history_then, NULLIF(h.tag_value, '') AS creator_tag_then
       FROM resources r
       LEFT JOIN audit_events e ON e.event_id = r.created_event_id AND e.event_time = r.created_at
       LEFT JOIN principals p ON p.id = r.created_by_principal_id
       LEFT JOIN teams t ON t.id = p.team_id
       LEFT JOIN resources pr ON pr.arn = p.arn
       LEFT JOIN LATERAL (
         SELECT c.tag_key, c.tag_value FROM resource_tag_changes c
          WHERE c.resource_id = pr.id AND c.tag_key = $2 AND c.changed_at <= r.created_at
          ORDER BY c.changed_at DESC, c.id DESC LIMIT 1) h ON true
      WHERE r.id = ANY($1::bigint[])`,
    [ids, teamTagKey],
  );
  return new Map(rows.map((r) => [r.resource_id, r]));
}

/**
 * The principals with the most successful events naming each ARN (GIN index on resource_arns),
 * ties broken by the latest event. Denied and failed calls are left out: an attempt refused by
 * the team-tag condition makes nobody a contact of the resource.
 */
async function contactsOf(pool: Queryable, arns: string[], limit: number): Promise<Map<string, OwnershipContact[]>> {
  // One index scan for the whole set (`&&`), then each event is counted for each asked ARN it names.
  const { rows } = await pool.query<{ arn: string; principal_arn: string; event_count: string; last_event_time: Date }>(
    `SELECT arn, principal_arn, event_count, last_event_time FROM (
       SELECT a.arn, e.principal_arn, count(*) AS event_count, max(e.event_time) AS last_event_time,
              row_number() OVER (PARTITION BY a.arn ORDER BY count(*) DESC, max(e.event_time) DESC, e.principal_arn) AS rank
         FROM audit_events e
        CROSS JOIN LATERAL (SELECT DISTINCT x AS arn FROM unnest(e.resource_arns) AS x WHERE x = ANY($1::text[])) a
        WHERE e.resource_arns && $1::text[] AND e.principal_arn IS NOT NULL AND e.error_code IS NULL
        GROUP BY a.arn, e.principal_arn) ranked
      WHERE rank <= $2
      ORDER BY arn, rank`,
    [arns, limit],
  );
  const out = new Map<string, OwnershipContact[]>();
  for (const r of rows) {
    const list = out.get(r.arn) ?? [];
    list.push({ principalArn: r.principal_arn, eventCount: Number(r.event_count), lastEventTime: r.last_event_time });
    out.set(r.arn, list);
  }
  return out;
}

// ---- rules -----------------------------------------------------------------------------------

function decide(
  row: MatchRow,
  since: SinceRow | null,
  creator: CreatorRow | null,
  contacts: OwnershipContact[],
  teamTagKey: string,
  withLocation: boolean,
): ResourceOwnership {
  const label = resourceLabel(row, withLocation);
  const verb = row.deleted_at ? 'was' : 'is';
  const createEvent: OwnershipEvidence[] =
    creator?.created_event_id && creator.created_at
      ? [{ kind: 'CREATE_EVENT', eventId: creator.created_event_id, eventTime: creator.created_at, eventName: creator.event_name ?? 'create', principalArn: creator.creator_arn }]
      : [];
  const base = { resourceArn: row.arn, resourceId: row.id, createdByArn: creator?.creator_arn ?? null, contacts };
  const createdWhen = creator?.created_at ? [creator.event_name, utc(creator.created_at)].filter(Boolean).join(', ') : '';
  const creatorText = creator?.creator_arn ? describePrincipal(creator.creator_type, creator.creator_name, creator.creator_arn) : null;

  // (1) the resource's own team tag
  if (row.team_tag) {
    const source = since ? tagSource(since) : null;
    return {
      ...base,
      team: row.team_tag,
      basis: 'TAG',
      evidence: [{
        kind: 'TAG', tagKey: teamTagKey, tagValue: row.team_tag, since: since?.since ?? null,
        sourceEventId: since?.source_event_id ?? null, sourceSyncRunId: since?.source_sync_run_id ?? null,
      }],
      explanation: `${label} ${verb} owned by ${row.team_tag}: its team tag says so${source ? ` (${source})` : ''}.`,
    };
  }

  // (2) the team tag its creator carried when it created the resource
  if (creator?.creator_arn && creatorText && creator.creator_tag_then) {
    const team = creator.creator_tag_then;
    return {
      ...base,
      team,
      basis: 'CREATOR_TAG',
      evidence: [...createEvent, { kind: 'PRINCIPAL_TAG', principalArn: creator.creator_arn, tagKey: teamTagKey, tagValue: team }],
      explanation: `${label} ${verb} owned by ${team}: it has no team tag, but ${creatorText} created it (${createdWhen}) while tagged ${teamTagKey}=${team}.`,
    };
  }

  // (3) the creator's team today
  if (creator?.creator_arn && creatorText && creator.creator_team_today) {
    const team = creator.creator_team_today;
    const then = creator.creator_history_then ? 'it carried no team tag when it created this' : 'its tags at that time are unknown';
    return {
      ...base,
      team,
      basis: 'CREATOR_TEAM',
      evidence: [
        ...createEvent,
        ...(creator.creator_tag_today === team
          ? [{ kind: 'PRINCIPAL_TAG' as const, principalArn: creator.creator_arn, tagKey: teamTagKey, tagValue: team }]
          : []),
      ],
      explanation: `${label} ${verb} probably owned by ${team}: it has no team tag, and ${creatorText}, which created it (${createdWhen}), is in ${team} today (${then}).`,
    };
  }

  const missing = !creator?.created_event_id
    ? 'no create event was seen'
    : !creatorText
      ? `its create event (${createdWhen}) names no principal`
      : `${creatorText}, which created it (${createdWhen}), has no team tag then or now`;

  // (4) a team's name as a word of the resource's name: a hint, never more
  if (row.naming_teams.length === 1) {
    const { team, word } = row.naming_teams[0];
    return {
      ...base,
      team,
      basis: 'NAMING',
      evidence: [...createEvent, { kind: 'NAME_PATTERN', pattern: word, teamName: team }],
      explanation: `${label} may belong to ${team}, but that is only a naming hint (its name contains "${word}"): it has no team tag, and ${missing}.`,
    };
  }

  // (5) nothing decides it
  const clash = row.naming_teams.length > 1 ? ` (its name mentions several teams: ${row.naming_teams.map((n) => n.team).join(', ')})` : '';
  return {
    ...base,
    team: null,
    basis: 'UNKNOWN',
    evidence: createEvent,
    explanation: `No owner is known for ${label}: it has no team tag, and ${missing}${clash}.`,
  };
}

// ---- answer ----------------------------------------------------------------------------------

function summarise(q: string, matchedBy: 'ARN' | 'NAME', matches: ResourceOwnership[], rows: MatchRow[], total: number): OwnershipAnswer {
  const truncated = total > matches.length;
  const teams = new Set(matches.map((m) => m.team));
  const agreed = !truncated && teams.size === 1 ? [...teams][0] : null;
  const basis: OwnershipBasis = agreed
    ? matches.reduce<OwnershipBasis>((weakest, m) => (BASIS_RANK[m.basis] > BASIS_RANK[weakest] ? m.basis : weakest), 'TAG')
    : 'UNKNOWN';
  if (matches.length === 1 && !truncated) return { query: q, matchedBy, matches, team: agreed, basis, message: matches[0].explanation };

  const deleted = rows.filter((r) => r.deleted_at).length;
  const head =
    (matchedBy === 'ARN' ? `${total} resources match ARN ${q}` : `${total} resources are named "${q}"`) +
    (truncated ? ` (the first ${matches.length} are shown${deleted ? `, ${deleted} of them deleted` : ''})` : deleted ? ` (${deleted} deleted)` : '');
  let tail: string;
  if (agreed) {
    tail = `all are owned by ${agreed} (weakest evidence: ${BASIS_WORDS[basis]})`;
  } else {
    const counts = new Map<string, number>();
    for (const m of matches) counts.set(m.team ?? 'unknown', (counts.get(m.team ?? 'unknown') ?? 0) + 1);
    const spread = [...counts].sort(([a], [b]) => (a === 'unknown' ? 1 : b === 'unknown' ? -1 : a < b ? -1 : 1)).map(([t, n]) => `${t}: ${n}`).join(', ');
    tail = truncated
      ? `among those shown the owners are ${spread}; ask with the full ARN for one answer`
      : teams.size === 1
        ? `none has a known owner; ask with the full ARN for details`
        : `their owners differ (${spread}); ask with the full ARN for one answer`;
  }
  return { query: q, matchedBy, matches, team: agreed, basis, message: `${head}; ${tail}.` };
}

// ---- wording ---------------------------------------------------------------------------------

/** `2026-11-02 11:30 UTC` */
function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function tagSource(s: SinceRow): string {
  const when = `since ${utc(s.since)}`;
  if (s.source_event_id) {
    const who = s.principal_arn ? ` by ${describePrincipal(s.principal_type, s.principal_name, s.principal_arn)}` : '';
    return `${when}, ${s.event_name ?? `event ${s.source_event_id}`}${who}`;
  }
  return `${when}, listed by GetResources in ingestion run ${s.source_sync_run_id}`;
}

function describePrincipal(type: string | null, name: string | null, arn: string): string {
  const n = name ?? arn;
  switch (type) {
    case 'ROLE': return `role ${n}`;
    case 'IAM_USER': return `user ${n}`;
    case 'ASSUMED_ROLE_SESSION': return `session ${arn}`;
    case 'FEDERATED_USER': return `federated user ${n}`;
    case 'SAML_USER': return `SAML user ${n}`;
    case 'WEB_IDENTITY_USER': return `web-identity user ${n}`;
    case 'IDENTITY_CENTER_USER': return `Identity Center user ${n}`;
    case 'ROOT': return `the root user of ${parseArn(arn)?.accountId || arn}`;
    case 'AWS_SERVICE': return `service ${n}`;
    case 'AWS_ACCOUNT': return `account ${n}`;
    default: return arn;
  }
}

/** `training-job churn-v7`, `IAM role X`, `S3 bucket b`; the place too when names clash. */
function resourceLabel(row: MatchRow, withLocation: boolean): string {
  const parsed = parseArn(row.arn);
  const type = row.resource_type ?? parsed?.resourceType ?? null;
  const kind =
    row.service === 'sagemaker' ? type ?? 'SageMaker resource'
      : row.service === 's3' ? (type === 'bucket' ? 'S3 bucket' : `S3 ${type ?? 'resource'}`)
        : row.service === 'iam' ? `IAM ${type ?? 'resource'}`
          : `${row.service} ${type ?? 'resource'}`;
  const name = row.name ?? parsed?.resourceName ?? row.arn;
  const place = withLocation ? [row.region, row.account_id ? `account ${row.account_id}` : null].filter(Boolean).join(', ') : '';
  const deleted = row.deleted_at ? `deleted ${utc(row.deleted_at)}` : '';
  const notes = [place, deleted].filter(Boolean).join('; ');
  return `${kind} ${name}${notes ? ` (${notes})` : ''}`;
}
