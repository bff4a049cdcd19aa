import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery, GraphQLError, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { loadConfig } from '../../src/config/config';
import {
  checkQueryCost,
  checkSubscribeLimits,
  checkVariablesShape,
  DEFAULT_QUERY_LIMITS,
  estimateCost,
  limitParseOptions,
  limitValidationRules,
  QUERY_TOO_COMPLEX,
  queryLimitsFromConfig,
} from '../../src/server/query-limits';
import { buildGovgraphSchema } from '../../src/server/schema';

/** The limits against the real schema: the queries that took the server down are refused; real queries pass. */

const limits = DEFAULT_QUERY_LIMITS;

/** Parse (with the token limit) and validate as Apollo does, then the cost with the variables: every error, timed. */
function check(schema: GraphQLSchema, query: string, variables?: Record<string, unknown>) {
  const started = performance.now();
  const errors: GraphQLError[] = [];
  try {
    const document = parse(query, limitParseOptions(limits));
    errors.push(...validate(schema, document, [...specifiedRules, ...limitValidationRules(limits)]));
    if (errors.length === 0) {
      const cost = checkQueryCost(schema, document, variables, undefined, limits);
      if (cost) errors.push(cost);
    }
  } catch (err) {
    errors.push(err as GraphQLError);
  }
  return { errors, ms: performance.now() - started };
}

/** The README's example queries, between the demo-queries markers. */
function readmeQueries(): string[] {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const block = readme.split('<!-- demo-queries:start -->')[1]!.split('<!-- demo-queries:end -->')[0]!;
  return [...block.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** `teams { resources { edges { node { ownerTeam { … } } } } }` nested `levels` times. */
function nestedTeams(levels: number): string {
  let inner = 'name';
  for (let i = 0; i < levels; i++) inner = `resources { edges { node { ownerTeam { ${inner} } } } }`;
  return `{ teams { ${inner} } }`;
}

const aliased = (count: number, selection: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;

describe('GraphQL query limits', () => {
  let schema: GraphQLSchema;

  beforeAll(async () => {
    schema = await buildGovgraphSchema();
  });

  describe('the abusive queries of issue 14', () => {
    it('refuses a query nested 150 levels deep on the depth limit, saying the figures', () => {
      // Arrange: about the size of the query that killed the server
      const query = nestedTeams(38);

      // Act
      const { errors, ms } = check(schema, query);

      // Assert
      console.log(`depth-150 query (${query.length} bytes) refused in ${ms.toFixed(1)} ms`);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', maximum: limits.maxDepth });
      expect(errors[0]!.extensions.actual).toBeGreaterThanOrEqual(150);
      expect(errors[0]!.message).toContain(`limit of ${limits.maxDepth}`);
    });

    it('refuses 1,000 aliases of a 500-event page with raw, at the parser (token limit)', () => {
      // Arrange
      const query = aliased(1000, 'auditEvents(first: 500) { edges { node { raw } } }');

      // Act
      const { errors, ms } = check(schema, query);

      // Assert
      console.log(`1,000-alias query (${query.length} bytes) refused in ${ms.toFixed(1)} ms`);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/more than? ?\w* 3000 tokens/);
    });

    it('refuses as many 500-event pages as the token limit lets through, on the alias limit and on cost', () => {
      // Arrange: 100 aliases fit in the token limit
      const query = aliased(100, 'auditEvents(first: 500) { edges { node { raw } } }');

      // Act
      const { errors } = check(schema, query);
      const cost = estimateCost(schema, parse(query), {});

      // Assert
      expect(errors.map((e) => e.extensions.limit)).toEqual(['aliases']);
      expect(errors[0]!.extensions).toMatchObject({ maximum: limits.maxAliases, actual: 100 });
      expect(cost).toBeGreaterThan(limits.maxCost);
    });

    it('refuses 200 aliased team counts on the alias limit', () => {
      // Arrange
      const query = aliased(200, 'teams { resources { totalCount } }');

      // Act
      const { errors, ms } = check(schema, query);

      // Assert
      console.log(`200 aliased team counts refused in ${ms.toFixed(1)} ms`);
      expect(errors.map((e) => e.extensions.limit)).toEqual(['aliases']);
      expect(errors[0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', actual: 200 });
    });

    it('refuses, on cost, aliases within the alias limit that fan out over every team', () => {
      // Arrange: 25 aliases (allowed) of every team's 500 resources with their events
      const query = aliased(25, 'teams { resources(first: 500) { totalCount edges { node { events(first: 50) { totalCount } } } } }');

      // Act
      const { errors } = check(schema, query);

      // Assert
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toMatchObject({ code: QUERY_TOO_COMPLEX, limit: 'cost', maximum: limits.maxCost });
      expect(errors[0]!.extensions.actual as number).toBeGreaterThan(limits.maxCost);
      expect(errors[0]!.message).toContain(`limit of ${limits.maxCost}`);
    });

    it('refuses more directives than the limit', () => {
      // Arrange
      const query = `{ rules { id ${Array.from({ length: 60 }, () => '@include(if: true)').join(' ')} } }`;

      // Act
      const { errors } = check(schema, query);

      // Assert
      expect(errors.some((e) => e.extensions.limit === 'directives' && e.extensions.actual === 60)).toBe(true);
    });

    it('refuses fragments spread in fragments that multiply into a huge selection', () => {
      // Arrange: each fragment spreads the next 10 times: 10^6 `name` selections in 200 tokens
      const defs = Array.from({ length: 6 }, (_, i) => `fragment F${i} on Team { ${Array.from({ length: 10 }, () => `...F${i + 1}`).join(' ')} }`);
      const query = `{ teams { ...F0 } } ${defs.join(' ')} fragment F6 on Team { name }`;

      // Act
      const { errors, ms } = check(schema, query);

      // Assert
      console.log(`fragment bomb refused in ${ms.toFixed(1)} ms`);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions.code).toBe(QUERY_TOO_COMPLEX);
    });
  });

  describe('the queries users send', () => {
    it("passes every README example query", () => {
      // Arrange
      const queries = readmeQueries();

      // Act
      const results = queries.map((q) => check(schema, q).errors);

      // Assert
      expect(queries.length).toBeGreaterThanOrEqual(3);
      expect(results).toEqual(queries.map(() => []));
    });

    it('passes a nested dashboard query: every team with its resources and violations, counted', () => {
      // Arrange
      const query = `{ teams { name createdAt members { totalCount }
        resources(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { node { arn name resourceType tags { key value } } } }
        violations(first: 10) { totalCount edges { node { id severity status ruleId resource { arn } principal { arn team { name } } } } } } }`;

      // Act
      const { errors } = check(schema, query);

      // Assert
      expect(errors).toEqual([]);
    });

    it("passes the tests' largest pages: 500 events with principals and resources, 500 violations with their decisions", () => {
      // Arrange
      const events = `query Events($filter: AuditEventFilter, $first: Int, $after: String) {
        auditEvents(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { eventId eventTime eventSource eventName errorCode awsRegion accountId principalArn sessionName
            principal { arn type team { name } } resources { arn ownerTeam { name } } } } } }`;
      const decisions = `{ violations(first: 500) { edges { node { ruleId eventTime principalArn resourceArn decision {
        decision deniedBy missingContextKeys explanation at principalArn sessionArn action resourceArn
        resourceTags { key value } context { key values } principal { arn type }
        decidingStatements { sid effect source { kind policyName } conditions { operator key policyValues resolvedValues requestValues } } } } } } }`;

      // Act
      const results = [check(schema, events, { first: 500 }).errors, check(schema, decisions).errors];

      // Assert
      expect(results).toEqual([[], []]);
    });

    it('passes the standard introspection query', () => {
      // Act
      const { errors } = check(schema, getIntrospectionQuery());

      // Assert
      expect(errors).toEqual([]);
    });
  });

  describe('cost', () => {
    const page = (first: string) => `query($n: Int) { resources(first: ${first}) { edges { node { arn tags { key value } } } } }`;

    it('grows with first, literal or from a variable, and the default (50) applies when first is absent', () => {
      // Act
      const literal10 = estimateCost(schema, parse(page('10')), {});
      const literal100 = estimateCost(schema, parse(page('100')), {});
      const variable100 = estimateCost(schema, parse(page('$n')), { n: 100 });
      const absent = estimateCost(schema, parse(`{ resources { edges { node { arn tags { key value } } } } }`), {});
      const literal50 = estimateCost(schema, parse(page('50')), {});

      // Assert
      expect(literal100).toBeGreaterThan(literal10);
      expect(literal100 - 1).toBeCloseTo((literal10 - 1) * 10, -1);
      expect(variable100).toBe(literal100);
      expect(absent).toBe(literal50);
    });

    it('refuses on cost a query that is small until its variable says first: 500', () => {
      // Arrange: within every limit with first 20, far over with first 500
      const query = `query($n: Int) { teams { resources(first: $n) { edges { node { arn events(first: $n) { edges { node { eventName } } } } } } } }`;

      // Act
      const small = check(schema, query, { n: 2 });
      const large = check(schema, query, { n: 500 });

      // Assert
      expect(small.errors).toEqual([]);
      expect(large.errors).toHaveLength(1);
      expect(large.errors[0]!.extensions).toMatchObject({ code: QUERY_TOO_COMPLEX, limit: 'cost' });
    });

    it('counts totalCount once per connection, not once per item', () => {
      // Act
      const counted = estimateCost(schema, parse(`{ resources(first: 500) { totalCount } }`), {});
      const items = estimateCost(schema, parse(`{ resources(first: 500) { edges { node { arn } } } }`), {});

      // Assert
      expect(counted).toBeLessThan(100);
      expect(items).toBeGreaterThan(1000);
    });

    it('answers BAD_USER_INPUT for a variable of the wrong type', () => {
      // Act
      const error = checkQueryCost(schema, parse(page('$n')), { n: 'many' }, undefined, limits);

      // Assert
      expect(error?.extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('variables shape', () => {
    it('refuses a variable nested 100,000 deep, as JSON.parse gives it, with BAD_USER_INPUT', () => {
      // Arrange: arrays and objects, as they arrive from a JSON body
      const depth = 100_000;
      const arrays = JSON.parse(`{"v":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      const objects = JSON.parse(`{"v":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);

      // Act
      const started = performance.now();
      const results = [checkVariablesShape(arrays, limits), checkVariablesShape(objects, limits)];
      const ms = performance.now() - started;

      // Assert
      console.log(`100,000-deep variables refused in ${ms.toFixed(2)} ms`);
      for (const error of results) {
        expect(error?.extensions.code).toBe('BAD_USER_INPUT');
        expect(error?.message).toContain(`deeper than ${limits.maxVariableDepth}`);
      }
    });

    it('refuses a huge array without walking it, and passes an IAM policy document', () => {
      // Arrange
      const huge = { ids: Array.from({ length: 1_000_000 }, (_, i) => i) };
      const policy = {
        resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['sagemaker:*'], Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': ['true'] } } }] },
        serviceControlPolicies: [[{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }]],
      };

      // Act
      const refused = checkVariablesShape(huge, limits);
      const passed = checkVariablesShape(policy, limits);

      // Assert
      expect(refused?.extensions.code).toBe('BAD_USER_INPUT');
      expect(refused?.message).toContain(`more than ${limits.maxVariableValues} values`);
      expect(passed).toBeNull();
    });
  });

  describe('graphql-ws subscribe messages', () => {
    it('refuses a deep subscription and deep variables, and passes a violation feed', () => {
      // Arrange
      const feed = `subscription($f: ViolationFilter) { violationOpened(filter: $f) { id severity ruleId resource { arn ownerTeam { name } } } }`;
      let deep = 'name';
      for (let i = 0; i < 20; i++) deep = `ownerTeam { resources { edges { node { ${deep} } } } }`;
      const tooDeep = `subscription { violationOpened { resource { ${deep} } } }`;
      const nested = JSON.parse(`{"f":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);

      // Act
      const passed = checkSubscribeLimits(schema, { query: feed, variables: { f: { team: 'TeamA' } } }, limits);
      const deepQuery = checkSubscribeLimits(schema, { query: tooDeep }, limits);
      const deepVariables = checkSubscribeLimits(schema, { query: feed, variables: nested }, limits);

      // Assert
      expect(passed).toEqual({ document: expect.objectContaining({ kind: 'Document' }) });
      expect('errors' in deepQuery ? deepQuery.errors.map((e) => e.extensions.limit) : deepQuery).toEqual(['depth']);
      expect('errors' in deepVariables ? deepVariables.errors.map((e) => e.extensions) : deepVariables).toEqual([{ code: 'BAD_USER_INPUT' }]);
    });
  });

  it('takes its figures from configuration', () => {
    // Act
    const configured = queryLimitsFromConfig(loadConfig({ GRAPHQL_MAX_DEPTH: '8', GRAPHQL_MAX_COST: '5000', GRAPHQL_MAX_ALIASES: '3' }));

    // Assert
    expect(configured).toMatchObject({ maxDepth: 8, maxCost: 5000, maxAliases: 3, maxTokens: limits.maxTokens });
  });
});
