import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DatabaseError } from 'pg';
import { RequestCancelledError } from '../auth/scoped-session';
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
  // abuse limits (src/server/query-limits.ts, src/server/rate-limit.ts)
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  // authentication and authorisation (src/auth)
  'UNAUTHENTICATED',
  'FORBIDDEN',
]);

/**
 * Codes that mean the API refused the call (the caller's credential, rights, input or rate), as
 * opposed to failing it: every client code but NOT_FOUND (the access log's outcome).
 */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([...CLIENT_CODES].filter((code) => code !== 'NOT_FOUND'));

export interface ErrorLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Postgres errors only a caller's value can cause (text with NUL or invalid UTF-8, a date or
 * number out of range). Arguments are checked before any query (src/server/input-guards.ts,
 * src/read); this is the fallback for a path that missed a check: the caller hears
 * BAD_USER_INPUT, the log a warning without a stack trace.
 */
const BAD_INPUT_SQLSTATES = new Set([
  '22021', // character_not_in_repertoire (invalid byte sequence: NUL)
  '22P05', // untranslatable_character
  '22008', // datetime_field_overflow
  '22003', // numeric_value_out_of_range
  '22007', // invalid_datetime_format
]);

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
    // an answer of our own in place of the error, where it was and with the code a client acts on
    const answer = (message: string, code: string): GraphQLFormattedError => ({ message, locations: formatted.locations, path: formatted.path, extensions: { code } });
    if (original instanceof DatabaseError && original.code && BAD_INPUT_SQLSTATES.has(original.code)) {
      log.warn({ sqlstate: original.code, reason: original.message, path: formatted.path }, 'request refused by Postgres as bad input');
      return answer('A value in the request cannot be stored or compared (not valid text, or a date or number out of range); check the arguments', 'BAD_USER_INPUT');
    }
    // 57014 query_canceled: statement_timeout (API_STATEMENT_TIMEOUT_MS) ended the statement
    if (original instanceof DatabaseError && original.code === '57014') {
      log.warn({ path: formatted.path }, 'a statement of the request ran past its time bound and was cancelled');
      return answer('This part of the query took longer than the API allows and was stopped; ask for a narrower window, a filter or a smaller page', 'QUERY_TIMEOUT');
    }
    if (original instanceof RequestCancelledError) {
      // past the request's bound (API_REQUEST_TIMEOUT_MS); or the client went away, and nobody reads this answer
      return original.reason === 'deadline'
        ? answer(`${original.message}; ask for less at once (smaller pages, fewer nested lists or aliases)`, 'QUERY_TIMEOUT')
        : answer(original.message, 'CLIENT_CLOSED_REQUEST');
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
    log.error({ err: original, path: formatted.path }, 'GraphQL request failed');
    return answer('Internal server error', 'INTERNAL_SERVER_ERROR');
  };
}
