import type { OwnershipAnswer, OwnershipContact, OwnershipEvidence, ResourceOwnership } from '../domain/ownership/types';

/** Evidence flattened to one record shape, naming the resource it is about. */
export interface FlatEvidence {
  kind: OwnershipEvidence['kind'];
  resourceArn: string;
  tagKey: string | null;
  tagValue: string | null;
  since: Date | null;
  sourceEventId: string | null;
  sourceSyncRunId: string | null;
  eventId: string | null;
  eventTime: Date | null;
  eventName: string | null;
  principalArn: string | null;
  pattern: string | null;
  teamName: string | null;
}

export interface ResourceOwnershipView extends Omit<ResourceOwnership, 'evidence' | 'team'> {
  teamName: string | null;
  evidence: FlatEvidence[];
}

/** An ownership answer with what a chat message needs at the top: all evidence, one creator, merged contacts. */
export interface OwnershipView extends Omit<OwnershipAnswer, 'matches' | 'team'> {
  teamName: string | null;
  matches: ResourceOwnershipView[];
  evidence: FlatEvidence[];
  /** the creator when every match has the same known one */
  createdByArn: string | null;
  contacts: OwnershipContact[];
}

const EMPTY = {
  tagKey: null, tagValue: null, since: null, sourceEventId: null, sourceSyncRunId: null,
  eventId: null, eventTime: null, eventName: null, principalArn: null, pattern: null, teamName: null,
} as const;

export function flattenEvidence(resourceArn: string, e: OwnershipEvidence): FlatEvidence {
  switch (e.kind) {
    case 'TAG':
      return { ...EMPTY, kind: e.kind, resourceArn, tagKey: e.tagKey, tagValue: e.tagValue, since: e.since, sourceEventId: e.sourceEventId, sourceSyncRunId: e.sourceSyncRunId };
    case 'CREATE_EVENT':
      return { ...EMPTY, kind: e.kind, resourceArn, eventId: e.eventId, eventTime: e.eventTime, eventName: e.eventName, principalArn: e.principalArn };
    case 'PRINCIPAL_TAG':
      return { ...EMPTY, kind: e.kind, resourceArn, principalArn: e.principalArn, tagKey: e.tagKey, tagValue: e.tagValue };
    case 'NAME_PATTERN':
      return { ...EMPTY, kind: e.kind, resourceArn, pattern: e.pattern, teamName: e.teamName };
  }
}

/** Contacts of several resources: counts added up, latest time kept, most active first. */
export function mergeContacts(lists: OwnershipContact[][]): OwnershipContact[] {
  const byArn = new Map<string, OwnershipContact>();
  for (const c of lists.flat()) {
    const seen = byArn.get(c.principalArn);
    if (!seen) byArn.set(c.principalArn, { ...c });
    else {
      seen.eventCount += c.eventCount;
      if (c.lastEventTime > seen.lastEventTime) seen.lastEventTime = c.lastEventTime;
    }
  }
  return [...byArn.values()].sort(
    (a, b) => b.eventCount - a.eventCount || b.lastEventTime.getTime() - a.lastEventTime.getTime() || (a.principalArn < b.principalArn ? -1 : 1),
  );
}

export function ownershipView(answer: OwnershipAnswer): OwnershipView {
  const matches = answer.matches.map(({ team, evidence, ...m }) => ({
    ...m,
    teamName: team,
    evidence: evidence.map((e) => flattenEvidence(m.resourceArn, e)),
  }));
  const creators = new Set(answer.matches.map((m) => m.createdByArn));
  const { team, matches: _m, ...rest } = answer;
  return {
    ...rest,
    teamName: team,
    matches,
    evidence: matches.flatMap((m) => m.evidence),
    createdByArn: creators.size === 1 ? [...creators][0] : null,
    contacts: mergeContacts(answer.matches.map((m) => m.contacts)),
  };
}
