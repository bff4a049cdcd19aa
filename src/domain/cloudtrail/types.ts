/**
 * Shapes shared by the CloudTrail ingestion stages (fetch → transform → load).
 * Plain data only: no database, GraphQL or BullMQ types here.
 */

/** Who acted, as govgraph stores it. */
export type PrincipalType =
  | 'IAM_USER'
  | 'ROLE' // an assumed-role session resolves to its issuing role
  | 'ASSUMED_ROLE_SESSION' // only when the issuing role cannot be derived
  | 'FEDERATED_USER'
  | 'SAML_USER'
  | 'WEB_IDENTITY_USER'
  | 'ROOT'
  | 'AWS_SERVICE'
  | 'AWS_ACCOUNT'
  | 'IDENTITY_CENTER_USER'
  | 'UNKNOWN';

export interface NormalizedPrincipal {
  /**
   * Stable key. The AWS ARN when AWS gives one (for a session: the issuing role's ARN);
   * otherwise a synthetic, documented key: `saml-user:<idp>/<userName>`,
   * `web-identity-user:<idp>/<userName>`, the service principal for AWS services
   * (`config.amazonaws.com`).
   */
  arn: string;
  type: PrincipalType;
  accountId: string | null;
  /** user name, role name, service name, federated user name… */
  name: string;
  /** AWS unique id (AIDA…, AROA…) when the record gives it. */
  awsPrincipalId: string | null;
}

/** One resource the event touched, as a full ARN. */
export interface TouchedResource {
  arn: string;
  /** Name as the caller wrote it (SageMaker ARNs are lower-cased; the name keeps the case). */
  name: string | null;
  /** where we learnt it: resources[], responseElements or requestParameters */
  via: 'resources' | 'responseElements' | 'requestParameters';
}

/** What an event does to the resource inventory (applied only for newly stored events). */
export type InventoryEffect =
  | { kind: 'create'; arn: string; name: string | null; tags: Record<string, string> }
  | { kind: 'delete'; arn: string }
  | { kind: 'tag'; arn: string; set: Record<string, string>; remove: string[] };

export interface NormalizedEvent {
  eventId: string;
  eventTime: Date;
  eventSource: string;
  eventName: string;
  eventType: string | null;
  eventCategory: string | null;
  awsRegion: string | null;
  /** recipientAccountId, else userIdentity.accountId */
  accountId: string | null;
  principal: NormalizedPrincipal | null;
  /** userIdentity.arn exactly as recorded (the session ARN for assumed roles). */
  userIdentityArn: string | null;
  sessionName: string | null;
  accessKeyId: string | null;
  /** userIdentity.invokedBy: the AWS service that made the call on the principal's behalf. */
  invokedBy: string | null;
  sourceIpAddress: string | null;
  userAgent: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  readOnly: boolean | null;
  resources: TouchedResource[];
  effects: InventoryEffect[];
}

/** One record as read from a source, before validation. */
export interface SourceRecord {
  /** file path, or `lookup-events:<account>/<region>` */
  source: string;
  /** where in the source: `line 3`, `line 1 Records[17]`, `page 2 Events[4]` */
  position: string;
  /** parsed JSON value (undefined when the text was not JSON) */
  value: unknown;
  /** the record's text as received: the line for JSON Lines, JSON.stringify(value) otherwise */
  text: string;
}

/** A record that could not be accepted, kept aside with its reason. */
export interface RejectedRecord {
  source: string;
  position: string;
  reason: string;
  raw: string;
}

/** Result of validating one source record: a storable record or a rejection. */
export type ValidatedRecord =
  | { ok: true; record: Record<string, unknown>; eventTime: Date; text: string; source: string; position: string }
  | { ok: false; rejected: RejectedRecord };
