import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
// in the order the Query fields should print: modules register their fields as they load
import { AuditEventResolver } from '../resolvers/audit-event.resolver';
import { PrincipalResolver } from '../resolvers/principal.resolver';
import { ResourceResolver } from '../resolvers/resource.resolver';
import { TeamResolver } from '../resolvers/team.resolver';
import { OwnershipContactResolver, OwnershipResolver, ResourceOwnershipResolver } from '../resolvers/ownership.resolver';
import { ViolationResolver } from '../resolvers/violation.resolver';
import { RuleResolver } from '../resolvers/rule.resolver';
import { AccessGranteeResolver, AccessResolver, PolicyGrantResolver, PrincipalGrantsResolver, ViolationDecisionResolver } from '../resolvers/access.resolver';
import { AccessLogResolver } from '../resolvers/access-log.resolver';
import { DateTimeScalar } from '../schema/scalars.type';
import { guardArgumentText } from './input-guards';

/**
 * The GraphQL schema, built from the decorated types (src/schema) and resolvers (src/resolvers).
 * schema.graphql at the repository root is this schema printed (`npm run schema:emit`); a test
 * fails when the two differ.
 */
export function buildGovgraphSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      AuditEventResolver,
      PrincipalResolver,
      ResourceResolver,
      TeamResolver,
      OwnershipResolver,
      ResourceOwnershipResolver,
      OwnershipContactResolver,
      ViolationResolver,
      RuleResolver,
      AccessResolver,
      AccessGranteeResolver,
      PolicyGrantResolver,
      PrincipalGrantsResolver,
      ViolationDecisionResolver,
      AccessLogResolver,
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // type-graphql requires a PubSub once a subscription exists; ours never subscribe by topic
    // (violationOpened brings its own `subscribe`: the Redis-fed ViolationFeed), so none is used
    pubSub: {
      publish() {
        throw new Error('topic-based subscriptions are not used: see ViolationFeed');
      },
      subscribe() {
        throw new Error('topic-based subscriptions are not used: see ViolationFeed');
      },
    },
    // inputs are checked where they are read (src/read): class-validator is not used
    validate: false,
  }).then(
    // every field with arguments refuses text Postgres cannot hold (NUL, lone surrogates) as BAD_USER_INPUT
    guardArgumentText,
  );
}
