/**
 * The answer to "who owns X?": plain data shared by the ownership resolver (src/ownership),
 * the GraphQL API and the CLI. No GraphQL or database types here.
 */

/** How the owner team was decided, strongest first. */
export type OwnershipBasis =
  | 'TAG' // the resource's own team tag (as of now)
  | 'CREATOR_TAG' // no team tag: the team tag the creating principal carried when it created the resource
  | 'CREATOR_TEAM' // the creating principal's current team (its tags then are unknown)
  | 'NAMING' // only a naming convention points at a team (weakest; said so in the explanation)
  | 'UNKNOWN'; // nothing decides it: said plainly, never guessed

export type OwnershipEvidence =
  | { kind: 'TAG'; tagKey: string; tagValue: string; since: Date | null; sourceEventId: string | null; sourceSyncRunId: string | null }
  | { kind: 'CREATE_EVENT'; eventId: string; eventTime: Date; eventName: string; principalArn: string | null }
  | { kind: 'PRINCIPAL_TAG'; principalArn: string; tagKey: string; tagValue: string }
  | { kind: 'NAME_PATTERN'; pattern: string; teamName: string };

export interface OwnershipContact {
  principalArn: string;
  eventCount: number;
  lastEventTime: Date;
}

/** Ownership of one matched resource. */
export interface ResourceOwnership {
  resourceArn: string;
  resourceId: string;
  team: string | null;
  basis: OwnershipBasis;
  evidence: OwnershipEvidence[];
  createdByArn: string | null;
  /** the principals most active on it, most active first */
  contacts: OwnershipContact[];
  /** one sentence for a chat message: what owns it and why, or why it cannot be said */
  explanation: string;
}

export interface OwnershipAnswer {
  query: string;
  matchedBy: 'ARN' | 'NAME' | 'NONE';
  /** every resource the query matched (several when a bare name is ambiguous) */
  matches: ResourceOwnership[];
  /** the owner team when every match agrees on one; null otherwise */
  team: string | null;
  basis: OwnershipBasis;
  /** one sentence summarising the answer, including "no resource matches …" */
  message: string;
}
