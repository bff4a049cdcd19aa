import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Config } from '../config/config';

/**
 * Bounds on what one GraphQL operation may ask, checked before anything runs: a refused
 * operation costs a parse and a walk of its (token-bounded) document, never a database query.
 *
 * The defaults admit every query of the README and the tests, and dashboards' nested pages
 * (teams → resources → violations), and refuse the shapes that took the server down: a query
 * nested 150 levels deep, 1,000 aliases of a 500-event page, 200 aliased team counts.
 */
export interface QueryLimits {
  /** selection depth (fields inside fields); fragments count where they are spread */
  maxDepth: number;
  /** aliased fields in one operation (`__typename` aliases are free) */
  maxAliases: number;
  /** directives in one operation */
  maxDirectives: number;
  /** lexical tokens in the document: bounds the parser's time, memory and recursion */
  maxTokens: number;
  /** estimated cost (see estimateCost): roughly, the objects the answer can hold */
  maxCost: number;
  /** nesting depth of the variables (JSON values inside objects and arrays) */
  maxVariableDepth: number;
  /** values in the variables in all (every object, array and scalar counts one) */
  maxVariableValues: number;
  /** request body size accepted by the JSON body parser, in bytes */
  maxBodyBytes: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxDirectives: 50,
  maxTokens: 3000,
  maxCost: 100_000,
  // an IAM policy document is about 6 levels deep; serviceControlPolicies adds two
  maxVariableDepth: 32,
  maxVariableValues: 10_000,
  // a query, plus IAM policy documents for simulate (6 KB each, a few levels of SCPs)
  maxBodyBytes: 256 * 1024,
};

/** The limits from configuration (GRAPHQL_MAX_*), defaults for what is not set. */
export function queryLimitsFromConfig(config: Partial<Config>): QueryLimits {
  return {
    ...DEFAULT_QUERY_LIMITS,
    maxDepth: config.GRAPHQL_MAX_DEPTH ?? DEFAULT_QUERY_LIMITS.maxDepth,
    maxAliases: config.GRAPHQL_MAX_ALIASES ?? DEFAULT_QUERY_LIMITS.maxAliases,
    maxDirectives: config.GRAPHQL_MAX_DIRECTIVES ?? DEFAULT_QUERY_LIMITS.maxDirectives,
    maxTokens: config.GRAPHQL_MAX_TOKENS ?? DEFAULT_QUERY_LIMITS.maxTokens,
    maxCost: config.GRAPHQL_MAX_COST ?? DEFAULT_QUERY_LIMITS.maxCost,
    maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES ?? DEFAULT_QUERY_LIMITS.maxBodyBytes,
  };
}

/** The code of a refused operation whose cost is over the limit (a client code: errors.ts passes it through). */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/**
 * graphql-js's own token limit: the parser stops at the first token past it (a syntax error,
 * GRAPHQL_PARSE_FAILED, HTTP 400), so a huge document is never built. Apollo: `parseOptions`.
 */
export function limitParseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

type Limit = 'depth' | 'aliases' | 'directives';

/**
 * Validation rules for depth, aliases and directives (GraphQL Armor's rules), for Apollo's
 * `validationRules` and for graphql-ws's onSubscribe. They report a validation error
 * (GRAPHQL_VALIDATION_FAILED, HTTP 400) with `extensions.limit`, `maximum` and `actual`,
 * instead of Armor's default of throwing out of graphql's validate().
 * The cost limit needs the variables (`first: $n`): see checkQueryCost.
 */
export function limitValidationRules(limits: QueryLimits): ValidationRule[] {
  const report =
    (limit: Limit, maximum: number, what: string) =>
    (ctx: ValidationContext | null, err: GraphQLError) => {
      // Armor says "… limit of N exceeded, found M."; M is the figure the client needs
      const found = /found (\d+)/.exec(err.message);
      const actual = found ? Number(found[1]) : undefined;
      ctx?.reportError(
        new GraphQLError(`Query refused: ${what} ${actual ?? 'is'} over the limit of ${maximum}`, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, maximum, actual },
        }),
      );
    };
  const common = { exposeLimits: true, propagateOnRejection: false };
  return [
    // depth as the answer nests (a fragment spread adds none); introspection's nesting
    // (ofType { ofType … }) is not counted: the cost limit bounds it
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject: [report('depth', limits.maxDepth, 'depth')] }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: [report('aliases', limits.maxAliases, 'aliases')] }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: [report('directives', limits.maxDirectives, 'directives')] }),
  ] as unknown as ValidationRule[];
}

/**
 * What a list answer is taken to hold when its size is not set by `first`: the lists without
 * paging, by `Type.field`; any other list of objects counts DEFAULT_LIST_SIZE.
 */
const LIST_SIZES: Record<string, number> = {
  'Query.teams': 50,
  'Query.rules': 30,
  'Query.complianceSummary': 50,
  'Query.whoCan': 100,
  'AuditEvent.resources': 3,
  'Ownership.resources': 5,
  'Ownership.matches': 5,
  // a simulation's explanation: a few deciding statements, each with a few conditions
  'Decision.decidingStatements': 3,
  'DecidingStatement.conditions': 3,
  'Decision.resourceTags': 5,
  'Decision.context': 5,
};
const DEFAULT_LIST_SIZE = 10;

/**
 * Fields whose own work is well above reading one row: a count scans the whole filtered list, a
 * simulation evaluates every policy of a principal, `raw` ships and re-parses the whole record.
 */
const FIELD_COSTS: Record<string, number> = {
  'AuditEvent.raw': 3,
  'Query.simulate': 50,
  'Query.whoCan': 500,
  'Query.whoOwns': 10,
  'Query.complianceSummary': 50,
  'Violation.decision': 5,
};
const TOTAL_COUNT_COST = 10;

/**
 * The cost model: every field costs 1 (or its FIELD_COSTS entry, `totalCount` TOTAL_COUNT_COST),
 * plus its children; a list's children count once per item it can hold: its `first` argument
 * (the schema's default when absent, e.g. 50), else LIST_SIZES. In a connection, `totalCount`
 * is counted once, not per item.
 */
const costEstimator: ComplexityEstimator = ({ type, field, node, args, childComplexity }) => {
  const key = `${type.name}.${field.name}`;
  const own = field.name === 'totalCount' ? TOTAL_COUNT_COST : (FIELD_COSTS[key] ?? 1);
  const returned = getNullableType(field.type);
  const first = typeof args.first === 'number' && args.first >= 0 ? args.first : null;
  const isConnection = isCompositeType(getNamedType(field.type)) && !isListType(returned) && first !== null;
  if (isConnection) {
    // the page's edges repeat `first` times; its count and pageInfo do not
    const once = onceInConnection(node.selectionSet?.selections ?? []);
    const perItem = Math.max(0, childComplexity - once);
    return own + once + first * perItem;
  }
  if (isListType(returned) && isCompositeType(getNamedType(field.type))) {
    // a connection's edges: the connection field already counted them `first` times
    if (field.name === 'edges' && type.name.endsWith('Connection')) return own + childComplexity;
    return own + (first ?? LIST_SIZES[key] ?? DEFAULT_LIST_SIZE) * childComplexity;
  }
  return own + childComplexity;
};

/** Cost of a connection's `totalCount` and `pageInfo` written directly in its selection (no directives). */
function onceInConnection(selections: readonly SelectionNode[]): number {
  let cost = 0;
  for (const s of selections) {
    if (s.kind !== 'Field' || (s.directives?.length ?? 0) > 0) continue;
    if (s.name.value === 'totalCount') cost += TOTAL_COUNT_COST;
    else if (s.name.value === 'pageInfo') cost += 1 + (s.selectionSet?.selections.length ?? 0);
  }
  return cost;
}

/**
 * Selections once every fragment spread is replaced by its fragment: a few hundred for real
 * queries (the introspection query included); fragments spreading fragments ten times each reach
 * millions in a few hundred tokens. graphql-query-complexity walks that expansion at some 20 µs a
 * node, so it is counted first, in one pass over the document (each fragment's size memoised).
 */
const MAX_EXPANDED_SELECTIONS = 5000;

/** The expanded selection count, stopping as soon as it passes `bound`. */
function expandedSelections(document: DocumentNode, bound: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const sizes = new Map<string, number>();
  const sizeOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    let total = 0;
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        let size = sizes.get(name);
        if (size === undefined) {
          // a cycle is a validation error already; count it as nothing here
          if (visiting.has(name)) continue;
          visiting.add(name);
          size = sizeOf(fragments.get(name)?.selectionSet, visiting);
          visiting.delete(name);
          sizes.set(name, size);
        }
        total += size;
      } else {
        total += 1 + sizeOf(sel.selectionSet, visiting);
      }
      if (total > bound) return total;
    }
    return total;
  };
  let total = 0;
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) total += sizeOf(def.selectionSet, new Set());
  }
  return total;
}

/** The estimated cost of an operation with its variables (throws a GraphQLError for bad variables). */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): number {
  return getComplexity({
    schema,
    query: document,
    variables: variables ?? {},
    operationName: operationName ?? undefined,
    estimators: [costEstimator],
    // a backstop: checkQueryCost counts the expansion before calling this
    maxQueryNodes: MAX_EXPANDED_SELECTIONS + 1,
  });
}

/**
 * The cost limit, with the variables (`first: $n` counts as the value sent): null when within
 * it, else the error to answer with: QUERY_TOO_COMPLEX (HTTP 400) saying the cost and the limit,
 * or BAD_USER_INPUT for variables that do not fit their types. Call it once the operation is
 * known: Apollo's didResolveOperation (queryLimitsPlugin does), graphql-ws's onSubscribe.
 */
export function checkQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | null | undefined,
  limits: QueryLimits,
): GraphQLError | null {
  const expanded = expandedSelections(document, MAX_EXPANDED_SELECTIONS);
  if (expanded > MAX_EXPANDED_SELECTIONS) {
    return tooComplex(`Query refused: its fragments expand to more than ${MAX_EXPANDED_SELECTIONS} selections`, { maximum: limits.maxCost });
  }
  let cost: number;
  try {
    cost = estimateCost(schema, document, variables, operationName);
  } catch (err) {
    if (err instanceof GraphQLError && /maximum allowed number of nodes/.test(err.message)) {
      return tooComplex(`Query refused: it expands to more than ${MAX_EXPANDED_SELECTIONS} selections`, { maximum: limits.maxCost });
    }
    // a variable of the wrong type: execution would refuse it the same way
    const message = err instanceof Error ? err.message : String(err);
    return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  }
  if (cost > limits.maxCost) {
    return tooComplex(
      `Query refused: its estimated cost is ${cost}, over the limit of ${limits.maxCost} (each list counts its \`first\` items; ask for smaller pages, fewer nested lists or fewer aliases)`,
      { maximum: limits.maxCost, actual: cost },
    );
  }
  return null;
}

function tooComplex(message: string, figures: { maximum: number; actual?: number }): GraphQLError {
  return new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, limit: 'cost', ...figures, http: { status: 400 } } });
}

/**
 * The variables' nesting and size within the limits: null when they are, else a BAD_USER_INPUT
 * error. Walks with its own stack (a variable nested 100,000 deep parses fine with JSON.parse but
 * breaks any recursive walk: JSON.stringify, structuredClone, a redaction) and stops at the first
 * value past a bound, so a refusal costs at most maxVariableValues steps.
 */
export function checkVariablesShape(variables: unknown, limits: Pick<QueryLimits, 'maxVariableDepth' | 'maxVariableValues'>): GraphQLError | null {
  if (variables === undefined || variables === null) return null;
  const stack: [unknown, number][] = [[variables, 0]];
  let values = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++values > limits.maxVariableValues) {
      return badVariables(`variables hold more than ${limits.maxVariableValues} values`);
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.maxVariableDepth) {
      return badVariables(`variables are nested deeper than ${limits.maxVariableDepth} levels`);
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    // an array of a million numbers is refused here without being walked
    if (values + stack.length + children.length > limits.maxVariableValues) {
      return badVariables(`variables hold more than ${limits.maxVariableValues} values`);
    }
    for (const child of children) stack.push([child, depth + 1]);
  }
  return null;
}

function badVariables(message: string): GraphQLError {
  return new GraphQLError(`Variables refused: ${message}`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

/**
 * Express middleware for /graphql, after express.json and before Apollo (and anything else that
 * reads the variables, e.g. the access log): refuses a POST body whose `variables` are too deep or
 * too large with HTTP 400 and a BAD_USER_INPUT GraphQL error. GET requests carry their variables
 * in the URL (bounded by Node's 16 KB header limit) and are checked by queryLimitsPlugin.
 */
export function rejectOversizedVariables(limits: QueryLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const body: unknown = req.body;
    const variables = body && typeof body === 'object' && !Array.isArray(body) ? (body as { variables?: unknown }).variables : undefined;
    const error = checkVariablesShape(variables, limits);
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT' } }] });
  };
}

/**
 * Apollo plugin: once the operation is resolved (parsed, validated, Apollo's document cache
 * included), checks the variables' shape and the cost with the request's variables, and refuses
 * with HTTP 400 before any resolver runs. Pass `limitParseOptions` as `parseOptions` and
 * `limitValidationRules` as `validationRules` alongside it.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName }) {
          // a POST's variables were checked before the body reached Apollo (rejectOversizedVariables)
          const shape = request.http?.method === 'GET' ? checkVariablesShape(request.variables, limits) : null;
          const error = shape ?? checkQueryCost(schema, document, request.variables, operationName, limits);
          if (error) throw error;
        },
      };
    },
  };
}

/**
 * Every limit for one graphql-ws subscribe message: variables' shape, tokens, depth, aliases,
 * directives, the spec's validation, and cost. Parses and validates once: the document it gives
 * back is handed to graphql-ws as the operation's execution arguments, never parsed again.
 */
export function checkSubscribeLimits(
  schema: GraphQLSchema,
  payload: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
  limits: QueryLimits,
): { errors: GraphQLError[] } | { document: DocumentNode } {
  const shape = checkVariablesShape(payload.variables, limits);
  if (shape) return { errors: [withoutHttp(shape)] };
  let document: DocumentNode;
  try {
    document = parse(payload.query, limitParseOptions(limits));
  } catch (err) {
    return { errors: [parseRefusal(err)] };
  }
  const invalid = validate(schema, document, [...specifiedRules, ...limitValidationRules(limits)]);
  if (invalid.length > 0) return { errors: [...invalid] };
  const cost = checkQueryCost(schema, document, payload.variables ?? undefined, payload.operationName, limits);
  return cost ? { errors: [withoutHttp(cost)] } : { document };
}

/**
 * A document the limited parse refused (a syntax error, or past maxTokens) as the error to answer
 * with: code GRAPHQL_PARSE_FAILED, as Apollo gives over HTTP.
 */
function parseRefusal(err: unknown): GraphQLError {
  const message = err instanceof GraphQLError ? err.message : 'Syntax Error: the query cannot be parsed';
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
}

/** The same error without Apollo's HTTP status hint, which means nothing on a WebSocket. */
function withoutHttp(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}
