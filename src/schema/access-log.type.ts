import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from './pagination.type';
import { DateTimeScalar, JSONScalar } from './scalars.type';

export enum ApiAccessOutcome {
  ALLOWED = 'allowed',
  REFUSED = 'refused',
  FAILED = 'failed',
}
registerEnumType(ApiAccessOutcome, {
  name: 'ApiAccessOutcome',
  description: 'How the API answered a call.',
  valuesConfig: {
    ALLOWED: { description: 'Answered without errors.' },
    REFUSED: {
      description: 'Refused because of the caller: its credential, rights, input, rate or query cost (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST, RATE_LIMITED, QUERY_TOO_COMPLEX).',
    },
    FAILED: { description: 'Failed for another reason (an internal error, NOT_FOUND…).' },
  },
});

@ObjectType({ description: 'One call to the API as the append-only access log recorded it: who, what, how it ended.' })
export class ApiAccessLogEntry {
  @Field(() => ID, { description: 'The entry\'s id (grows with the order entries were written).' })
  id!: string;

  @Field(() => DateTimeScalar, { description: 'When the request arrived.' })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'How the caller was authenticated (`api-key`, `oidc`, `local`); null when no credential was given or it was refused.' })
  identityKind!: string | null;

  @Field(() => String, { nullable: true, description: 'The API key\'s id or the token\'s subject; null when no one was identified.' })
  identityId!: string | null;

  @Field(() => String, { nullable: true, description: 'The API key\'s name or the token\'s email; null when no one was identified.' })
  identityName!: string | null;

  @Field(() => String, { nullable: true, description: 'The caller\'s role (`admin`, `auditor`, `team-lead`, `team-member`, `ownership-bot`); null when no one was identified.' })
  role!: string | null;

  @Field(() => String, { description: '`http` (queries and mutations) or `ws` (subscriptions over WebSocket).' })
  transport!: string;

  @Field(() => String, { nullable: true, description: '`query`, `mutation` or `subscription`; null when the request never resolved to one operation.' })
  operationType!: string | null;

  @Field(() => String, { nullable: true, description: 'The operation\'s name as the client sent it (at most 200 characters); null for anonymous operations.' })
  operationName!: string | null;

  @Field(() => String, { nullable: true, description: 'SHA-256 (hex) of the query text: the same query always has the same hash. Null when there was no query.' })
  querySha256!: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The variables sent, with secrets (by key name, and values that look like keys or tokens) replaced by `[REDACTED]` and deep or large parts by `[TRUNCATED]`.' })
  variables!: unknown;

  @Field(() => ApiAccessOutcome, { description: 'How the call ended.' })
  outcome!: ApiAccessOutcome;

  @Field(() => String, { nullable: true, description: 'The first error\'s code (`FORBIDDEN`, `RATE_LIMITED`…); null when allowed.' })
  errorCode!: string | null;

  @Field(() => Int, { nullable: true, description: 'The HTTP status answered; null over WebSocket.' })
  httpStatus!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rows returned: every object that is an item of a list in the answer, at any depth (a connection\'s edges, plain lists); for a subscription, events delivered.' })
  rowsReturned!: number | null;

  @Field(() => Float, { nullable: true, description: 'How long the call took, in milliseconds (for a subscription: how long it stayed open).' })
  durationMs!: number | null;

  @Field(() => String, { nullable: true, description: 'The client\'s address.' })
  clientAddress!: string | null;

  @Field(() => String, { nullable: true, description: 'The client\'s User-Agent (at most 512 characters).' })
  userAgent!: string | null;

  /** internal */
  cursorTime!: string;
}

@ObjectType({ description: 'A page of the API access log, newest first (by time, then id).' })
export class ApiAccessLogConnection extends ConnectionType(ApiAccessLogEntry, 'ApiAccessLogEntry') {}

@InputType({ description: 'Narrows the access log; every field given must hold (AND).' })
export class ApiAccessLogFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Only calls at or after this time (inclusive).' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only calls before this time (exclusive).' })
  to?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only calls by this identity: an API key\'s id or a token\'s subject.' })
  identityId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only calls by this identity name: an API key\'s name or a token\'s email.' })
  identityName?: string | null;

  @Field(() => String, { nullable: true, description: 'Only calls made with this role (`team-member`…).' })
  role?: string | null;

  @Field(() => ApiAccessOutcome, { nullable: true, description: 'Only calls that ended this way.' })
  outcome?: ApiAccessOutcome | null;

  @Field(() => String, { nullable: true, description: 'Only operations of this name.' })
  operationName?: string | null;

  @Field(() => String, { nullable: true, description: 'Only calls whose first error had this code (`FORBIDDEN`).' })
  errorCode?: string | null;
}
