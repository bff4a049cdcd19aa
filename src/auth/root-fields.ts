import { getOperationAST, Kind, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { ForbiddenError, type Identity, type Role } from './identity';

/**
 * Which roles may ask each root field. Rows are narrowed by the caller's scope in Postgres
 * (src/auth/scoped-session.ts); this table decides which questions a role may ask at all. A root
 * field missing here is refused to everyone (a test holds every field of the schema to this table).
 */
const READERS: readonly Role[] = ['admin', 'auditor', 'team-lead', 'team-member'];
const EVERYONE: readonly Role[] = ['admin', 'auditor', 'team-lead', 'team-member', 'ownership-bot'];

export const ROOT_FIELD_ROLES: Readonly<Record<'Query' | 'Mutation' | 'Subscription', Readonly<Record<string, readonly Role[]>>>> = {
  Query: {
    auditEvents: READERS,
    principal: READERS,
    principals: READERS,
    resource: EVERYONE,
    resources: READERS,
    teams: EVERYONE,
    team: EVERYONE,
    whoOwns: EVERYONE,
    violations: READERS,
    violation: READERS,
    complianceSummary: READERS,
    rules: EVERYONE,
    simulate: READERS,
    whoCan: READERS,
    policyGrants: READERS,
    apiAccessLog: ['admin', 'auditor'],
  },
  Mutation: {
    suppressViolation: ['admin', 'team-lead'],
    reopenViolation: ['admin', 'team-lead'],
  },
  Subscription: {
    violationOpened: READERS,
  },
};

/** The root fields an operation asks for (through fragments too), without introspection's. */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const s of selectionSet.selections) {
    if (s.kind === Kind.FIELD) {
      if (!s.name.value.startsWith('__')) out.push(s.name.value);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      out.push(...rootFields(document, s.selectionSet, seen));
    } else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
      if (fragment && fragment.kind === Kind.FRAGMENT_DEFINITION) out.push(...rootFields(document, fragment.selectionSet, seen));
    }
  }
  return out;
}

/**
 * Refuses (ForbiddenError) an operation that asks a root field the caller's role may not ask.
 * Called once per operation, before execution, over HTTP and WebSocket alike.
 */
export function checkRootFields(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, identity: Identity): void {
  const operation = getOperationAST(document, operationName);
  if (!operation) return; // graphql-js reports the missing or ambiguous operation itself
  const root = operation.operation === 'query' ? 'Query' : operation.operation === 'mutation' ? 'Mutation' : 'Subscription';
  const allowed = ROOT_FIELD_ROLES[root];
  const refused = [...new Set(rootFields(document, operation.selectionSet))].filter((f) => !(allowed[f] ?? []).includes(identity.role));
  if (refused.length > 0) {
    const known = schema.getRootType(operation.operation)?.getFields() ?? {};
    const named = refused.filter((f) => f in known);
    if (named.length > 0) {
      throw new ForbiddenError(`role ${identity.role} may not ask ${root}.${named.join(`, ${root}.`)}`);
    }
  }
}
