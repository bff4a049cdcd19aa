/**
 * IAM as facts with validity in time: the shapes the pure transforms (snapshots, CloudTrail
 * changes) produce and the store appends to `iam_fact_changes`. Plain data, no database here.
 *
 * Entities are keyed by type and name (`role/<name>`), not by ARN: CloudTrail names users, groups
 * and roles by name only, and an ARN carries a path the event may not spell out. IAM names never
 * contain `/` or `|`, so keys split unambiguously.
 */

export type IamFactKind =
  | 'ENTITY' // user, group or role: arn, id, path, create date
  | 'INLINE_POLICY' // entity + policy name → document
  | 'MANAGED_POLICY' // policy ARN → default version id (documents in iam_policy_versions)
  | 'ATTACHMENT' // entity → managed policy
  | 'PERMISSIONS_BOUNDARY' // user or role → managed policy
  | 'GROUP_MEMBERSHIP' // group → user
  | 'TRUST_POLICY'; // role → document

export type IamEntityType = 'user' | 'group' | 'role';

export type IamFactOp = 'ASSERT' | 'RETRACT';

/** A fact as a snapshot lists it (asserted at the snapshot's time). */
export interface IamFact {
  kind: IamFactKind;
  key: string;
  payload: Record<string, unknown>;
}

/** A change an event makes at its eventTime. A retraction's payload is empty. */
export interface IamFactChange extends IamFact {
  op: IamFactOp;
}

/** One managed policy version's document, as seen in a snapshot or a Create* event. */
export interface PolicyVersionDocument {
  policyArn: string;
  versionId: string;
  document: Record<string, unknown>;
  /** the version's own creation time (CreateDate, or the event's time); null when unknown */
  createdAt: Date | null;
}

/** A user or role worth a row in `principals`, with its tags when the source lists them. */
export interface IamPrincipalSighting {
  arn: string;
  type: 'IAM_USER' | 'ROLE';
  accountId: string;
  name: string;
  awsPrincipalId: string | null;
  /** null: the source says nothing about tags (a CloudTrail change); {} : it lists none */
  tags: Record<string, string> | null;
}

/** The IAM changes one CloudTrail event makes, all at its eventTime (see iamChangesFromEvent). */
export interface IamEventChanges {
  eventId: string;
  accountId: string;
  at: Date;
  changes: IamFactChange[];
  versions: PolicyVersionDocument[];
  /** users and roles the event creates: principals from the event's time on */
  principals: IamPrincipalSighting[];
}

export const entityKey = (type: IamEntityType, name: string): string => `${type}/${name}`;
export const inlinePolicyKey = (type: IamEntityType, name: string, policyName: string): string => `${type}/${name}/${policyName}`;
export const attachmentKey = (type: IamEntityType, name: string, policyArn: string): string => `${type}/${name}|${policyArn}`;
export const membershipKey = (groupName: string, userName: string): string => `group/${groupName}|user/${userName}`;
