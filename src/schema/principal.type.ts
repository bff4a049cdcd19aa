import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from './pagination.type';
import { DateTimeScalar } from './scalars.type';

/** The kinds of principal the audit store records (principals.principal_type). */
export enum PrincipalType {
  IAM_USER = 'IAM_USER',
  ROLE = 'ROLE',
  ASSUMED_ROLE_SESSION = 'ASSUMED_ROLE_SESSION',
  FEDERATED_USER = 'FEDERATED_USER',
  SAML_USER = 'SAML_USER',
  WEB_IDENTITY_USER = 'WEB_IDENTITY_USER',
  ROOT = 'ROOT',
  AWS_SERVICE = 'AWS_SERVICE',
  AWS_ACCOUNT = 'AWS_ACCOUNT',
  IDENTITY_CENTER_USER = 'IDENTITY_CENTER_USER',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(PrincipalType, {
  name: 'PrincipalType',
  description: 'What kind of identity a principal is.',
  valuesConfig: {
    IAM_USER: { description: 'An IAM user.' },
    ROLE: { description: 'An IAM role; assumed-role sessions are recorded as the role that issued them.' },
    ASSUMED_ROLE_SESSION: { description: 'A session whose issuing role could not be derived from the record.' },
    FEDERATED_USER: { description: 'An STS federated user (GetFederationToken).' },
    SAML_USER: { description: 'A SAML-federated user; keyed `saml-user:<idp>/<userName>`.' },
    WEB_IDENTITY_USER: { description: 'A web-identity-federated user; keyed `web-identity-user:<idp>/<userName>`.' },
    ROOT: { description: 'An account root user.' },
    AWS_SERVICE: { description: 'An AWS service acting itself; keyed by its service principal (`sagemaker.amazonaws.com`).' },
    AWS_ACCOUNT: { description: 'Another AWS account (cross-account access without more detail).' },
    IDENTITY_CENTER_USER: { description: 'An IAM Identity Center user; keyed `identity-center-user:[<store>/]<userId>`.' },
    UNKNOWN: { description: 'An identity type govgraph does not model; keyed by the ARN recorded.' },
  },
});

@ObjectType({
  description:
    'Who acted: an IAM user, role, federated or SAML user, root, or AWS service. An assumed-role session is recorded as the role that issued it (sessionContext.sessionIssuer); the session name stays on each event.',
})
export class Principal {
  @Field(() => String, {
    description:
      'Stable key: the AWS ARN (for an assumed-role session, the issuing role\'s ARN), or for identities without one a synthetic key (`saml-user:<idp>/<user>`, `web-identity-user:<idp>/<user>`, `identity-center-user:…`, `<service>.amazonaws.com`).',
  })
  arn!: string;

  @Field(() => PrincipalType, { description: 'What kind of identity this is.' })
  type!: PrincipalType;

  @Field(() => String, { nullable: true, description: 'The AWS account it belongs to; null for AWS services and external identities.' })
  accountId!: string | null;

  @Field(() => String, { description: 'User name, role name, service name or federated user name.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'AWS unique id (AIDA…, AROA…) when a record gave it.' })
  awsPrincipalId!: string | null;

  @Field(() => DateTimeScalar, { description: 'Earliest time govgraph saw it: its earliest stored event, the CloudTrail event that created it (CreateUser, CreateRole), or the first IAM snapshot that listed it.' })
  firstSeen!: Date;

  @Field(() => DateTimeScalar, { description: 'Latest time govgraph saw it: its latest stored event, its creating event, or the latest IAM snapshot that listed it.' })
  lastSeen!: Date;

  /** internal: tags as stored ({key: value}); the `tags` field lists them */
  tags!: Record<string, string>;
  teamId!: string | null;
  id!: string;
}

@ObjectType({ description: 'A page of principals, in the order govgraph first recorded them.' })
export class PrincipalConnection extends ConnectionType(Principal, 'Principal') {}

@InputType({ description: 'Narrows a principal list; every field given must hold (AND).' })
export class PrincipalFilter {
  @Field(() => String, { nullable: true, description: 'Only principals whose team tag names this team.' })
  team?: string | null;

  @Field(() => PrincipalType, { nullable: true, description: 'Only principals of this kind.' })
  type?: PrincipalType | null;

  @Field(() => String, { nullable: true, description: 'Only principals of this AWS account.' })
  accountId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only principals carrying this tag key (with tagValue: this key and value).' })
  tagKey?: string | null;

  @Field(() => String, { nullable: true, description: 'With tagKey: only principals whose tag tagKey has this value.' })
  tagValue?: string | null;
}
