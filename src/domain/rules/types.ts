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
  remediation: string;
  /** pure: the same event and context always give the same findings */
  evaluate(event: RuleEvent, ctx: RuleContext): Finding[];
}
