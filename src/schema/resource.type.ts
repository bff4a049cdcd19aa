import { Field, InputType, ObjectType } from 'type-graphql';
import { ConnectionType } from './pagination.type';
import { DateTimeScalar } from './scalars.type';

@ObjectType({
  description:
    'Anything with an ARN that govgraph has seen: in a CloudTrail event (created, touched, tagged, deleted) or in a tag inventory (GetResources). Owner team from its current team tag; creator from its Create* event; lifecycle from first/last seen and its Delete* event or absence from a complete tag sync.',
})
export class Resource {
  @Field(() => String, { description: 'The ARN (SageMaker ARNs are lower-case, as AWS writes them).' })
  arn!: string;

  @Field(() => String, { description: 'Service part of the ARN (`sagemaker`, `iam`, `s3`).' })
  service!: string;

  @Field(() => String, { nullable: true, description: 'Resource type from the ARN (`training-job`, `role`, `bucket`); null when the ARN does not say.' })
  resourceType!: string | null;

  @Field(() => String, { nullable: true, description: 'Name as the caller wrote it when known (keeps its case), else the name part of the ARN.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'Region from the ARN; null for global resources (IAM, S3 buckets).' })
  region!: string | null;

  @Field(() => String, { nullable: true, description: 'Account from the ARN; null when the ARN has none (S3 buckets).' })
  accountId!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Time of the Create* event govgraph holds for it; null when it was created before govgraph watched.' })
  createdAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'eventId of that Create* event.' })
  createdEventId!: string | null;

  @Field(() => DateTimeScalar, { description: 'Earliest time govgraph saw it (event or tag sync).' })
  firstSeen!: Date;

  @Field(() => DateTimeScalar, { description: 'Latest time govgraph saw it (event or tag sync).' })
  lastSeen!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was deleted (its Delete* event, or the complete tag sync that no longer listed it); null while it exists.' })
  deletedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'eventId of the Delete* event; null when a tag sync noticed the deletion, or it exists.' })
  deletedEventId!: string | null;

  /** internal */
  id!: string;
  tags!: Record<string, string>;
  ownerTeamId!: string | null;
  createdByPrincipalId!: string | null;
}

@ObjectType({ description: 'A page of resources, in the order govgraph first recorded them.' })
export class ResourceConnection extends ConnectionType(Resource, 'Resource') {}

@InputType({ description: 'Narrows a resource list; every field given must hold (AND).' })
export class ResourceFilter {
  @Field(() => String, { nullable: true, description: 'Only resources owned by this team (their current team tag).' })
  team?: string | null;

  @Field(() => String, { nullable: true, description: 'Only resources of this service (`sagemaker`).' })
  service?: string | null;

  @Field(() => String, { nullable: true, description: 'Only resources of this type (`training-job`, `notebook-instance`).' })
  resourceType?: string | null;

  @Field(() => String, { nullable: true, description: 'Only resources in this account.' })
  accountId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only resources in this region.' })
  region?: string | null;

  @Field(() => String, { nullable: true, description: 'Only resources carrying this tag key now (with tagValue: this key and value).' })
  tagKey?: string | null;

  @Field(() => String, { nullable: true, description: 'With tagKey: only resources whose tag tagKey has this value now.' })
  tagValue?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only deleted resources; false: only those that exist; absent: both.' })
  deleted?: boolean | null;
}
