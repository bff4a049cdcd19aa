import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** How bad a breach is (domain/rules Severity); a rule's default, which the rule configuration may override. */
export enum Severity {
  CRITICAL = 'CRITICAL',
  HIGH = 'HIGH',
  MEDIUM = 'MEDIUM',
  LOW = 'LOW',
  INFO = 'INFO',
}

registerEnumType(Severity, {
  name: 'Severity',
  description: 'How bad a breach is, most severe first.',
  valuesConfig: {
    CRITICAL: { description: 'Needs action now.' },
    HIGH: { description: 'Fix soon.' },
    MEDIUM: { description: 'Fix in the normal course of work.' },
    LOW: { description: 'Hygiene; fix when convenient.' },
    INFO: { description: 'For information; no action expected.' },
  },
});

@ObjectType({ description: 'The CloudTrail events a rule reads: one service, some of its actions.' })
export class RuleReads {
  @Field(() => String, { description: 'Service (`sagemaker.amazonaws.com`).' })
  eventSource!: string;

  @Field(() => [String], { description: 'API actions of that service (`CreateTrainingJob`).' })
  eventNames!: string[];
}

@ObjectType({ description: 'A compliance rule of the catalog: what it checks, why, and how to fix what it finds. Rules read stored CloudTrail events; each finding is a Violation.' })
export class Rule {
  @Field(() => String, { description: 'Stable id (`sagemaker-training-job-no-vpc`): Violation.ruleId, the rule configuration and suppressions name rules by it.' })
  id!: string;

  @Field(() => String, { description: 'One line saying what it checks.' })
  title!: string;

  @Field(() => Severity, {
    description: 'Severity of its violations, or of its worst case when it grades findings; the rule configuration\'s severityOverrides may change it (Violation.severity is what applied).',
  })
  severity!: Severity;

  @Field(() => String, { description: 'Which control it checks, and why it matters.' })
  rationale!: string;

  @Field(() => String, { description: 'How to fix what it finds.' })
  remediation!: string;

  @Field(() => [RuleReads], { description: 'The events it reads.' })
  reads!: RuleReads[];
}
