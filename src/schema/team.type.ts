import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.type';

@ObjectType({
  description:
    'A team: a value of the team tag (TEAM_TAG_KEY, `team` by default) on principals and resources. Members are the principals carrying it; resources are those whose current tags name it.',
})
export class Team {
  @Field(() => String, { description: 'The tag value, exactly as tagged (`TeamA`).' })
  name!: string;

  @Field(() => DateTimeScalar, { description: 'When govgraph first saw the team tag value.' })
  createdAt!: Date;

  /** internal key, for the member/resource/event field resolvers */
  id!: string;
}
