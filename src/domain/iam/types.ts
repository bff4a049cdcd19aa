/**
 * IAM policies as data, and the shapes of the policy evaluation engine (src/domain/iam). Pure:
 * nothing here knows Postgres, GraphQL or BullMQ. The store (src/iam) turns snapshots and
 * CloudTrail IAM changes into PolicyGrants with validity in time; the access service (src/access)
 * gathers what applies to one request at one moment and hands it to `evaluateRequest`.
 */

export type Effect = 'Allow' | 'Deny';

/**
 * One condition block, normalised: operator (as written, e.g. `ForAnyValue:StringEqualsIfExists`)
 * → context key (as written) → values (always an array of strings; JSON numbers and booleans are
 * kept as their string form, which is how AWS compares them).
 */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/** `Principal`/`NotPrincipal` of a resource-based or trust policy, normalised. */
export type PolicyPrincipal = '*' | Record<string, string[]>;

/** One statement, normalised: every list is an array, absent elements are undefined. */
export interface PolicyStatement {
  /** position in the document's Statement list (0-based; a single statement object is 0) */
  index: number;
  sid?: string;
  effect: Effect;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: PolicyPrincipal;
  notPrincipal?: PolicyPrincipal;
  condition?: ConditionBlock;
  /**
   * The `Version` of the document the statement came from. Policy variables are substituted only
   * under `2012-10-17`; under `2008-10-17` (AWS's default when a document has no Version) `${…}` is
   * literal text. Undefined when unknown (a statement normalised on its own): treated as 2012-10-17.
   */
  version?: string;
}

export interface PolicyDocument {
  version?: string;
  id?: string;
  statements: PolicyStatement[];
}

/** Where a policy came from: the "with where it came from" of a grant. */
export type PolicyKind =
  | 'INLINE' // an inline policy of the principal itself
  | 'MANAGED' // a managed policy attached to the principal
  | 'GROUP_INLINE' // an inline policy of a group the user belongs to
  | 'GROUP_MANAGED' // a managed policy attached to such a group
  | 'PERMISSIONS_BOUNDARY'
  | 'SCP'
  | 'RESOURCE_POLICY'
  | 'SESSION_POLICY'
  | 'TRUST_POLICY';

export interface PolicySource {
  kind: PolicyKind;
  /** managed policy ARN; for inline policies null */
  policyArn: string | null;
  /** policy name (inline name, or the managed policy's name) */
  policyName: string | null;
  /** managed policy version id (`v3`), null for inline ones */
  versionId: string | null;
  /** the group through which a user receives it (GROUP_* kinds) */
  viaGroupArn?: string | null;
  /** the IAM user, role or group the policy is attached to or embedded in */
  attachedToArn?: string | null;
}

/** A policy with its source, as handed to the engine. */
export interface SourcedPolicy {
  source: PolicySource;
  document: PolicyDocument;
}

/** A statement with its source: what a decision cites. */
export interface SourcedStatement {
  source: PolicySource;
  statement: PolicyStatement;
}

/**
 * The request context: condition key → values. Keys are compared case-insensitively (AWS
 * condition keys are case-insensitive; tag keys inside them keep their case for values only).
 * A single-valued key has one element; a multivalued key (aws:TagKeys) may have several.
 */
export type RequestContext = Record<string, string[]>;

export interface AuthorizationRequest {
  /** the principal's ARN (for a session, the issuing role's ARN, as govgraph keys principals) */
  principalArn: string;
  /** `service:Action`, case-insensitive, e.g. `sagemaker:CreateTrainingJob` */
  action: string;
  /** the resource ARN, or `*` for actions that take none */
  resourceArn: string;
  context: RequestContext;
  /**
   * The session's own ARN when the caller acts through one (`arn:aws:sts::…:assumed-role/Role/name`,
   * `arn:aws:sts::…:federated-user/name`). Resource-based policies may name it, and a grant to the
   * session is not limited by boundaries or session policies, unlike a grant to the role.
   */
  sessionArn?: string;
  /**
   * The account govgraph's inventory records the resource in, for an ARN that names none (S3
   * buckets and objects). The context's aws:ResourceAccount carries it too; a caller's
   * aws:ResourceAccount naming another account wins over it.
   */
  inventoryAccountId?: string;
}

/** Where the engine took the resource's account from: same- or cross-account evaluation hangs on it. */
export type ResourceAccountSource =
  | 'ARN' // the resource ARN names it
  | 'CONTEXT' // the caller's aws:ResourceAccount, for an ARN that names none
  | 'INVENTORY' // govgraph's inventory records it, for an ARN that names none
  | 'UNKNOWN'; // the ARN names none and nothing else tells: the Decision says how it was judged

/**
 * Everything that applies to one request. An absent (undefined) list means "this policy type does
 * not apply" (no boundary set, no SCPs in the organisation, no resource policy given); an empty
 * array means it applies and allows nothing (for boundaries and SCPs that denies everything).
 */
export interface EvaluationInput {
  request: AuthorizationRequest;
  identityPolicies: SourcedPolicy[];
  permissionsBoundaries?: SourcedPolicy[];
  /** one array per level of the organisation (root, OU…, account); each level must allow */
  serviceControlPolicies?: SourcedPolicy[][];
  resourcePolicies?: SourcedPolicy[];
  sessionPolicies?: SourcedPolicy[];
}

export type DecisionKind = 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

export interface Decision {
  decision: DecisionKind;
  /**
   * The statements that decided it: every matching Deny for EXPLICIT_DENY; the matching Allow
   * statements for ALLOWED; for IMPLICIT_DENY, the Allow statements that matched action and resource
   * but whose conditions failed (empty when nothing came close).
   */
  decidingStatements: SourcedStatement[];
  /** the policy type that denied (e.g. `PERMISSIONS_BOUNDARY` when only the boundary lacked an Allow) */
  deniedBy?: PolicyKind | 'IDENTITY' | null;
  /** condition keys a statement asked about that the request context did not have */
  missingContextKeys: string[];
  /** one line per step, for people: which policy type allowed or denied and why */
  explanation: string[];
  /** the account the resource is in, as the engine took it; null when unknown, or for `*` */
  resourceAccount: string | null;
  /** where resourceAccount came from; null for `*` (no resource) */
  resourceAccountSource: ResourceAccountSource | null;
}

/** A problem in a policy or request that makes an answer impossible: never a silent no-match. */
export class PolicyEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyEvaluationError';
  }
}
