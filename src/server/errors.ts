import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { InvalidInputError, NotFoundError } from '../read/errors';

/** Codes a client may act on; anything else is an internal failure and says no more than that. */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/**
 * Apollo's formatError: InvalidInputError becomes BAD_USER_INPUT and NotFoundError NOT_FOUND,
 * each with its own message; an unexpected error (a database failure, a bug) is logged in full and answered as
 * INTERNAL_SERVER_ERROR with a generic message, so SQL, hosts and stack traces never reach clients.
 */
export function formatError(log: ErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof InvalidInputError) {
      return { ...formatted, message: original.message, extensions: { code: 'BAD_USER_INPUT', argument: original.argument } };
    }
    if (original instanceof NotFoundError) {
      return { ...formatted, message: original.message, extensions: { code: 'NOT_FOUND', argument: original.argument } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
    log.error({ err: original, path: formatted.path }, 'GraphQL request failed');
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
