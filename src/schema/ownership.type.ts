import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from './scalars.type';

export enum OwnershipBasis {
  TAG = 'TAG',
  CREATOR_TAG = 'CREATOR_TAG',
  CREATOR_TEAM = 'CREATOR_TEAM',
  NAMING = 'NAMING',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(OwnershipBasis, {
  name: 'OwnershipBasis',
  description: 'How the owner team was decided, strongest first.',
  valuesConfig: {
    TAG: { description: "The resource's own team tag, as of now." },
    CREATOR_TAG: { description: 'No team tag: the team tag its creating principal carried when it created the resource.' },
    CREATOR_TEAM: { description: "The creating principal's current team (its tags at creation are unknown)." },
    NAMING: { description: 'Only a naming convention points at a team: the weakest basis.' },
    UNKNOWN: { description: 'Nothing decides it; no team is guessed.' },
  },
});

export enum OwnershipMatch {
  ARN = 'ARN',
  NAME = 'NAME',
  NONE = 'NONE',
}
registerEnumType(OwnershipMatch, {
  name: 'OwnershipMatch',
  description: 'How the query found its resources.',
  valuesConfig: {
    ARN: { description: 'The query was an ARN and names a known resource.' },
    NAME: { description: 'The query was a bare name; every resource of that name matched.' },
    NONE: { description: 'No resource matches the query.' },
  },
});

export enum OwnershipEvidenceKind {
  TAG = 'TAG',
  CREATE_EVENT = 'CREATE_EVENT',
  PRINCIPAL_TAG = 'PRINCIPAL_TAG',
  NAME_PATTERN = 'NAME_PATTERN',
}
registerEnumType(OwnershipEvidenceKind, {
  name: 'OwnershipEvidenceKind',
  description: 'What a piece of ownership evidence is; it says which fields of OwnershipEvidence are set.',
  valuesConfig: {
    TAG: { description: 'A team tag on the resource: tagKey, tagValue, since, sourceEventId or sourceSyncRunId.' },
    CREATE_EVENT: { description: 'The event that created the resource: eventId, eventTime, eventName, principalArn.' },
    PRINCIPAL_TAG: { description: "A team tag on the creating principal: principalArn, tagKey, tagValue." },
    NAME_PATTERN: { description: 'A naming convention: pattern, teamName.' },
  },
});

@ObjectType({ description: 'One fact an ownership answer rests on. `kind` says which of the other fields are set.' })
export class OwnershipEvidence {
  @Field(() => OwnershipEvidenceKind, { description: 'What this evidence is.' })
  kind!: OwnershipEvidenceKind;

  @Field(() => String, { description: 'ARN of the matched resource this evidence is about.' })
  resourceArn!: string;

  @Field(() => String, { nullable: true, description: 'TAG, PRINCIPAL_TAG: the tag key.' })
  tagKey!: string | null;

  @Field(() => String, { nullable: true, description: 'TAG, PRINCIPAL_TAG: the tag value.' })
  tagValue!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'TAG: since when the tag has had this value, when known.' })
  since!: Date | null;

  @Field(() => String, { nullable: true, description: 'TAG: the event that set the tag, when an event did.' })
  sourceEventId!: string | null;

  @Field(() => ID, { nullable: true, description: 'TAG: the tag sync that observed it, when a sync did.' })
  sourceSyncRunId!: string | null;

  @Field(() => String, { nullable: true, description: 'CREATE_EVENT: eventId of the create event.' })
  eventId!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'CREATE_EVENT: when it happened.' })
  eventTime!: Date | null;

  @Field(() => String, { nullable: true, description: 'CREATE_EVENT: its API action.' })
  eventName!: string | null;

  @Field(() => String, { nullable: true, description: 'CREATE_EVENT: who created it; PRINCIPAL_TAG: whose tag it is.' })
  principalArn!: string | null;

  @Field(() => String, { nullable: true, description: 'NAME_PATTERN: the naming convention that matched.' })
  pattern!: string | null;

  @Field(() => String, { nullable: true, description: 'NAME_PATTERN: the team the convention points at.' })
  teamName!: string | null;
}

@ObjectType({ description: 'A principal active on a resource: someone to ask about it.' })
export class OwnershipContact {
  @Field(() => String, { description: "The principal's key (Principal.arn)." })
  principalArn!: string;

  @Field(() => Int, { description: 'How many stored events by this principal touched the resource(s).' })
  eventCount!: number;

  @Field(() => DateTimeScalar, { description: 'The latest of those events.' })
  lastEventTime!: Date;
}

@ObjectType({ description: 'Who owns one matched resource, and why.' })
export class ResourceOwnership {
  @Field(() => String, { description: 'ARN of the matched resource.' })
  resourceArn!: string;

  @Field(() => String, { nullable: true, description: 'The owner team\'s name; null when nothing decides it (basis UNKNOWN).' })
  teamName!: string | null;

  @Field(() => OwnershipBasis, { description: 'How the owner was decided.' })
  basis!: OwnershipBasis;

  @Field(() => [OwnershipEvidence], { description: 'The facts the answer rests on, strongest first.' })
  evidence!: OwnershipEvidence[];

  @Field(() => String, { nullable: true, description: 'Key of the principal that created it, when its create event is known.' })
  createdByArn!: string | null;

  @Field(() => [OwnershipContact], { description: 'The principals most active on it, most active first.' })
  contacts!: OwnershipContact[];

  @Field(() => String, { description: 'One sentence for a chat message: who owns it and why, or why it cannot be said.' })
  explanation!: string;
}

@ObjectType({
  description:
    'The answer to "who owns X?": the resources the query matched, the owner team with the basis and evidence, the creator, people to contact, and a one-sentence message. When nothing matches, matchedBy is NONE, basis UNKNOWN and the message says so.',
})
export class Ownership {
  @Field(() => String, { description: 'The query as asked.' })
  query!: string;

  @Field(() => OwnershipMatch, { description: 'How the query found its resources (ARN, NAME, or NONE).' })
  matchedBy!: OwnershipMatch;

  @Field(() => String, { nullable: true, description: 'The owner team\'s name when every match agrees on one; null otherwise.' })
  teamName!: string | null;

  @Field(() => OwnershipBasis, { description: 'How the owner was decided (UNKNOWN when matches disagree or nothing decides it).' })
  basis!: OwnershipBasis;

  @Field(() => String, { description: 'One sentence summarising the answer, including "no resource matches …".' })
  message!: string;

  @Field(() => [ResourceOwnership], { description: 'Ownership of each matched resource (several when a bare name is ambiguous).' })
  matches!: ResourceOwnership[];

  @Field(() => [OwnershipEvidence], { description: 'The evidence of every match, strongest first per match (each item names its resourceArn).' })
  evidence!: OwnershipEvidence[];

  @Field(() => String, { nullable: true, description: 'Key of the creating principal when every match has the same known creator; null otherwise.' })
  createdByArn!: string | null;

  @Field(() => [OwnershipContact], { description: 'Contacts of all matches together (event counts added up), most active first.' })
  contacts!: OwnershipContact[];
}
