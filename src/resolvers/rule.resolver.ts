import { Query, Resolver } from 'type-graphql';
import { ALL_RULES } from '../domain/rules/registry';
import type { Rule as CatalogRule } from '../domain/rules/types';
import { Rule } from '../schema/rule.type';

@Resolver(() => Rule)
export class RuleResolver {
  @Query(() => [Rule], { description: 'The rule catalog: every rule govgraph evaluates, in catalog order (SageMaker configuration, then access and tagging).' })
  rules(): readonly CatalogRule[] {
    return ALL_RULES;
  }
}
