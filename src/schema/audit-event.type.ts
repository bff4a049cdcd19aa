import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ConnectionType } from './pagination.type';
import { DateTimeScalar, JSONScalar } from './scalars.type';

@ObjectType({ description: 'One CloudTrail record as stored in the append-only audit store: never changed, never lost, keyed by eventId.' })
export class AuditEvent {
  @Field(() => ID, { description: 'CloudTrail eventID: the same event delivered twice is stored once.' })
  eventId!: string;

  @Field(() => DateTimeScalar, { description: 'When the call happened (eventTime).' })
  eventTime!: Date;

  @Field(() => String, { description: 'Service called (`sagemaker.amazonaws.com`).' })
  eventSource!: string;

  @Field(() => String, { description: 'API action (`CreateTrainingJob`).' })
  eventName!: string;

  @Field(() => String, { nullable: true, description: 'CloudTrail eventType (`AwsApiCall`, `AwsConsoleSignIn`…).' })
  eventType!: string | null;

  @Field(() => String, { nullable: true, description: 'CloudTrail eventCategory (`Management`, `Data`…).' })
  eventCategory!: string | null;

  @Field(() => String, { nullable: true, description: 'Region the call was made in.' })
  awsRegion!: string | null;

  @Field(() => String, { nullable: true, description: 'Account that received the call (recipientAccountId, else the caller\'s account).' })
  accountId!: string | null;

  @Field(() => String, { nullable: true, description: 'Error code when the call failed (`AccessDenied`); null when it succeeded.' })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: 'Error message when the call failed.' })
  errorMessage!: string | null;

  @Field(() => String, { nullable: true, description: 'Caller\'s IP address, or the calling service\'s name.' })
  sourceIpAddress!: string | null;

  @Field(() => String, { nullable: true, description: 'Caller\'s user agent.' })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The principal\'s key (for a session, the issuing role\'s ARN), also when the principal object is not needed.' })
  principalArn!: string | null;

  @Field(() => String, { nullable: true, description: 'userIdentity.arn exactly as recorded (the session ARN for assumed roles).' })
  userIdentityArn!: string | null;

  @Field(() => String, { nullable: true, description: 'The session part of an assumed-role session ARN (often a person or tool name).' })
  sessionName!: string | null;

  @Field(() => String, { nullable: true, description: 'Access key the call was signed with (ASIA… for sessions): joins a session to the AssumeRole event that issued it.' })
  accessKeyId!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'CloudTrail readOnly: true for reads, false for writes; null when the record does not say.' })
  readOnly!: boolean | null;

  @Field(() => [String], { description: 'ARNs of the resources the event touched (from resources[], responseElements and request parameters).' })
  resourceArns!: string[];

  @Field(() => JSONScalar, { description: 'The CloudTrail record exactly as received.' })
  raw!: unknown;

  /** internal */
  principalId!: string | null;
  cursorTime!: string;
}

@ObjectType({ description: 'A page of audit events, newest first (by eventTime, then eventId).' })
export class AuditEventConnection extends ConnectionType(AuditEvent, 'AuditEvent') {}

@InputType({ description: 'Narrows an event list; every field given must hold (AND).' })
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: 'Only calls to this service (`sagemaker.amazonaws.com`).' })
  eventSource?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this API action (`CreateTrainingJob`).' })
  eventName?: string | null;

  @Field(() => String, { nullable: true, description: 'Only calls by this principal: its key as Principal.arn gives it (for sessions, the issuing role\'s ARN).' })
  principalArn?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events that touched the resource with this ARN.' })
  resourceArn?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Only events of this team, meaning either side: events whose acting principal\'s team is this team, OR events that touched a resource this team owns now (its current team tag). So "did anyone touch TeamA\'s experiments?" includes TeamB\'s denied calls on them.',
  })
  team?: string | null;

  @Field(() => String, { nullable: true, description: 'Only failed calls with this error code (`AccessDenied`).' })
  errorCode?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events in this account.' })
  accountId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events in this region.' })
  region?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only events at or after this time (inclusive).' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only events before this time (exclusive).' })
  to?: Date | null;
}
