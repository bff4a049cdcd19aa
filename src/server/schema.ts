import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
// in the order the Query fields should print: modules register their fields as they load
import { AuditEventResolver } from '../resolvers/audit-event.resolver';
import { PrincipalResolver } from '../resolvers/principal.resolver';
import { ResourceResolver } from '../resolvers/resource.resolver';
import { TeamResolver } from '../resolvers/team.resolver';
import { OwnershipContactResolver, OwnershipResolver, ResourceOwnershipResolver } from '../resolvers/ownership.resolver';
import { DateTimeScalar } from '../schema/scalars.type';

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
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // inputs are checked where they are read (src/read): class-validator is not used
    validate: false,
  });
}
