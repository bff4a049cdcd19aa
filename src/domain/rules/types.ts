/**
 * Compliance rules: one file per rule under src/domain/rules/catalog, each a plain object with a
 * pure evaluate function. Rules know nothing of Postgres, GraphQL or BullMQ: the evaluator
 * (src/compliance) builds a RuleEvent and a RuleContext from the audit store, as things stood at
 * the event's time, and stores what rules find as violations.
 */

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';

/** One stored audit event, as rules see it. */
export interface RuleEvent {
  eventId: string;
  eventTime: Date;
  eventSource: string;
  eventName: string;
  awsRegion: string | null;
  accountId: string | null;
  /** the acting principal's key (for a session: the issuing role), null when unknown */
  principalArn: string | null;
  principalType: string | null;
  /** userIdentity.userName or the role/user name from the principal ARN, when known */
  principalName: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** the record's requestParameters (lowerCamelCase, as CloudTrail logs them), {} when absent */
  requestParameters: Record<string, unknown>;
  responseElements: Record<string, unknown>;
  /** every resource the event touched, as full ARNs */
  resourceArns: string[];
  /** the resource the call acted on (the created or named one), when one stands out */
  primaryResourceArn: string | null;
  userAgent: string | null;
}

/** What govgraph knew at the event's time, for the rules that need more than the event. */
export interface RuleContext {
  teamTagKey: string;
  config: RuleConfig;
  /** the acting principal's team (its team tag) at the event's time; null = none or unknown */
  principalTeam: string | null;
  /** the acting principal's tags at the event's time */
  principalTags: Record<string, string>;
  /**
   * For each touched resource: its owner team at the event's time, and whether that is known
   * (false: the resource had no team tag then, or govgraph never saw it).
   */
  resourceOwners: Record<string, { team: string | null; known: boolean; tags: Record<string, string> }>;
  /**
   * For IAM change events and IAM snapshots only (src/compliance/iam-context.ts): the policies in
   * force just before and at the event for what it changes, and the access simulations the IAM
   * rules need. Absent for every other event, and when govgraph was not asked to read IAM.
   */
  iam?: RuleIamContext;
}

/** One policy in force for an IAM user, group or role at a moment, as govgraph's IAM store holds it. */
export interface IamPolicyInForce {
  kind: 'INLINE' | 'MANAGED' | 'GROUP_INLINE' | 'GROUP_MANAGED' | 'PERMISSIONS_BOUNDARY';
  /** the managed policy's ARN; null for an inline policy */
  policyArn: string | null;
  policyName: string | null;
  /** the managed policy's default version then (`v3`); null for an inline policy */
  versionId: string | null;
  /** the user, group or role it is embedded in or attached to; null for a managed policy as such */
  attachedToArn: string | null;
  /** the document as stored; null when govgraph knows the policy was in force but has no copy of that version */
  document: Record<string, unknown> | null;
}

/** What was in force for one thing an IAM change touches, at one moment. */
export interface IamPolicyState {
  /**
   * false: govgraph has no record of the account's IAM at that moment (no snapshot at or before it,
   * no earlier change of this policy), so what was in force is unknown. true with no policies: none was.
   */
  known: boolean;
  policies: IamPolicyInForce[];
}

export interface IamTargetStates {
  /** just before the event */
  before: IamPolicyState;
  /** at the event, with its change applied */
  after: IamPolicyState;
  /** for a managed policy: how many users and roles it reached just before and at the event */
  reach?: { before: number; after: number };
}

/** A statement that decided a simulated request, with where it came from and as written. */
export interface IamDecidingStatement {
  kind: string;
  policyArn: string | null;
  policyName: string | null;
  versionId: string | null;
  viaGroupArn: string | null;
  attachedToArn: string | null;
  sid: string | null;
  statementIndex: number;
  effect: 'Allow' | 'Deny';
  statement: Record<string, unknown>;
}

/** One simulated request of one principal. */
export interface IamAccessAttempt {
  /** tags the simulated request sets (aws:RequestTag/…, aws:TagKeys) */
  requestTags: Record<string, string>;
  decision: 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';
  decidingStatements: IamDecidingStatement[];
  missingContextKeys: string[];
}

/** `sagemaker:CreateTrainingJob` without a VPC, simulated for one principal at the event's time. */
export interface IamPrincipalSimulation {
  principalArn: string;
  principalType: 'IAM_USER' | 'ROLE';
  /** the principal's team tag then; null when it had none */
  team: string | null;
  action: string;
  resourceArn: string;
  /** condition keys the request leaves out (the VPC keys) */
  absentKeys: string[];
  /** the request without tags, then (when the principal has a team) tagged with its own team, as a compliant member would */
  attempts: IamAccessAttempt[];
  /** whether some attempt was allowed just before the event; null when govgraph had no IAM data of the account then */
  allowedBefore: boolean | null;
}

export interface RuleIamContext {
  /** by IamChangeTarget.key (src/domain/rules/iam-guardrails.ts) */
  targets: Record<string, IamTargetStates>;
  /** ARNs of the users, groups and roles involved, by `user/name`, `group/name`, `role/name` */
  entityArns: Record<string, string>;
  /** the principals the change affects (for a snapshot: every user and role of the account) */
  trainingWithoutVpc: IamPrincipalSimulation[];
}

/** The rule configuration file (JSON or YAML), validated at start by src/compliance/config. */
export interface RuleConfig {
  /** team → allowed instance types (`ml.t3.medium`); a team absent from the map is not restricted */
  instanceTypeAllowList: Record<string, string[]>;
  /** principal ARNs (glob `*` allowed) allowed to deploy endpoints */
  deployers: string[];
  /** principal ARNs (glob `*` allowed) meant to use notebooks only, never the console */
  notebookOnlyPrincipals: string[];
  /** the approved Service Catalog product ARN(s) notebooks must come from; [] disables the rule */
  serviceCatalogProducts: string[];
  severityOverrides: Record<string, Severity>;
  disabledRules: string[];
}

export const DEFAULT_RULE_CONFIG: RuleConfig = {
  instanceTypeAllowList: {},
  deployers: [],
  notebookOnlyPrincipals: [],
  serviceCatalogProducts: [],
  severityOverrides: {},
  disabledRules: [],
};

/** One breach a rule found in one event. */
export interface Finding {
  /** the offending resource; null when the event names none */
  resourceArn: string | null;
  /** one sentence for people: what is wrong, with the deciding values */
  message: string;
  /**
   * The fields that decided, as read from the event (with the API default applied and said so,
   * e.g. { directInternetAccess: 'Enabled', source: 'absent: API default' }); where the rule could
   * not decide something (owner unknown) it says so here rather than guessing.
   */
  evidence: Record<string, unknown>;
  /** this finding's severity when it differs from the rule's (e.g. a denied attempt vs a breach) */
  severity?: Severity;
  /** the principal the finding is about, when it is not the event's actor (a principal an IAM change affects) */
  principalArn?: string | null;
  /** the team answerable, when it is not the actor's or the resource owner's (the affected principal's) */
  team?: string | null;
}

export interface Rule {
  /** stable id: the contract (`sagemaker-training-job-no-vpc`) */
  id: string;
  title: string;
  severity: Severity;
  /** which seed control it checks, quoted or cited */
  rationale: string;
  /** the events it reads */
  reads: { eventSource: string; eventNames: string[] }[];
  /** true when it only considers successful calls (no errorCode) */
  successfulOnly: boolean;
  /** true when it only considers calls denied for want of permission (see callOutcome) */
  deniedOnly?: boolean;
  remediation: string;
  /** pure: the same event and context always give the same findings */
  evaluate(event: RuleEvent, ctx: RuleContext): Finding[];
}
