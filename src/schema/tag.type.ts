import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.type';

@ObjectType({ description: 'One tag as it is now.' })
export class Tag {
  @Field(() => String, { description: 'Tag key (case-sensitive, as AWS stores it).' })
  key!: string;

  @Field(() => String, { description: 'Tag value (may be empty).' })
  value!: string;
}

@ObjectType({
  description:
    'One period during which a tag key had one value on a resource, from the tag observations govgraph holds (CloudTrail tag/create events and tag syncs). A later observation closes the period.',
})
export class TagPeriod {
  @Field(() => String, { description: 'Tag key.' })
  key!: string;

  @Field(() => String, { nullable: true, description: 'The value in this period; null when the tag was removed for this period.' })
  value!: string | null;

  @Field(() => DateTimeScalar, { description: 'When this value was first observed (the event time, or the sync time).' })
  from!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a different observation replaced it; null while it is still the value.' })
  to!: Date | null;

  @Field(() => String, { nullable: true, description: 'eventId of the CloudTrail event that set it; null when a tag sync observed it.' })
  sourceEventId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The ingestion run (tag sync) that observed it; null when an event set it.' })
  sourceSyncRunId!: string | null;
}
