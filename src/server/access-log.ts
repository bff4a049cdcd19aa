import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Pool } from 'pg';
import type { Identity } from '../auth/identity';
import { storableText } from '../read/text';
import { REFUSAL_CODES } from './errors';

/**
 * The API access log: every request (allowed, refused, failed) as one row of api_access_log.
 * Requests only append to an in-memory buffer (`record` never waits and never throws); a timer
 * writes the buffer in set-based batches at least every `flushEveryMs`, so a crash loses at most
 * that much. A failed write keeps its batch for the next tick; the buffer is bounded, dropping the
 * oldest entries (and saying how many) when the database stays away too long.
 */

export type AccessOutcome = 'allowed' | 'refused' | 'failed';
export type AccessTransport = 'http' | 'ws';
export type OperationType = 'query' | 'mutation' | 'subscription';

/** One request as the access log stores it. Identity fields are null when no one was identified. */
export interface AccessLogEntry {
  /** when the request arrived */
  at: Date;
  identityKind: Identity['kind'] | null;
  identityId: string | null;
  identityName: string | null;
  role: Identity['role'] | null;
  transport: AccessTransport;
  /** null when the request never resolved to one operation (parse or validation failure, refused before) */
  operationType: OperationType | null;
  operationName: string | null;
  /** SHA-256 of the query text (hex); null when there was none */
  querySha256: string | null;
  /** already redacted (redactVariables) */
  variables: unknown;
  outcome: AccessOutcome;
  /** the first error's code; null when allowed */
  errorCode: string | null;
  httpStatus: number | null;
  rowsReturned: number | null;
  durationMs: number | null;
  clientAddress: string | null;
  userAgent: string | null;
}

export function outcomeOf(errorCode: string | null): AccessOutcome {
  if (errorCode === null) return 'allowed';
  return REFUSAL_CODES.has(errorCode) ? 'refused' : 'failed';
}

// ---- bounds (the migration's CHECKs hold the same numbers) ----

export const LIMITS = {
  identity: 256,
  operationName: 200,
  errorCode: 64,
  clientAddress: 100,
  userAgent: 512,
  /** bytes of the stored variables' JSON text */
  variablesBytes: 32_768,
  /** objects and lists nested deeper than this are replaced by TRUNCATED */
  variablesDepth: 8,
  /** keys of one object, items of one list kept */
  variablesWidth: 100,
  /** characters of one string value kept */
  variablesString: 1_000,
} as const;

export const REDACTED = '[REDACTED]';
export const TRUNCATED = '[TRUNCATED]';

// ---- pure helpers ----

/** SHA-256 of the query text, hex: equal queries are equal hashes, and the text is not kept. */
export function querySha256(query: string): string {
  return createHash('sha256').update(query, 'utf8').digest('hex');
}

/**
 * A key whose value is a secret, by its name (case-insensitive, `-` and `_` ignored): password,
 * secret, token (accessToken, id_token…), authorization, cookie, credential(s), apiKey/api_key,
 * key itself and keys of one kind (privateKey, secretKey, accessKey, sessionKey, signingKey).
 * Names that merely contain "key" (tagKey, keyName) stay readable: they are how the API is queried.
 */
const SECRET_NAME = /password|passwd|passphrase|secret|token|authorization|cookie|credential|apikey|privatekey|accesskey|sessionkey|signingkey|^key$/;
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name.toLowerCase().replace(/[-_]/g, ''));

/** A govgraph API key, a JWT (three base64url parts, header starting `{"`), or a bearer credential. */
const SECRET_VALUE = /ggk_[A-Za-z0-9_-]{8,}|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|^\s*bearer\s+\S/i;
export const looksLikeSecret = (value: string): boolean => SECRET_VALUE.test(value);


/**
 * The request's variables as the log keeps them: every value under a secret name (isSecretName)
 * at any depth, and every string that looks like a credential (looksLikeSecret), replaced by
 * REDACTED; objects and lists deeper than LIMITS.variablesDepth, keys and items past
 * LIMITS.variablesWidth and string characters past LIMITS.variablesString replaced or cut with
 * TRUNCATED; and if the whole is still over LIMITS.variablesBytes, `{ "[TRUNCATED]": <bytes> }`.
 * Never walks more than the bounds allow, whatever the input's depth.
 */
export function redactVariables(variables: unknown): unknown {
  if (variables === undefined || variables === null) return null;
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      if (looksLikeSecret(value)) return REDACTED;
      const s = storableText(value);
      return s.length > LIMITS.variablesString ? `${s.slice(0, LIMITS.variablesString)}${TRUNCATED}` : s;
    }
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'boolean' || value === null) return value;
    if (typeof value !== 'object') return null; // undefined, functions, symbols, bigints: not JSON
    if (depth >= LIMITS.variablesDepth) return TRUNCATED;
    if (Array.isArray(value)) {
      const items = value.slice(0, LIMITS.variablesWidth).map((v) => walk(v, depth + 1));
      if (value.length > LIMITS.variablesWidth) items.push(`${TRUNCATED} ${value.length - LIMITS.variablesWidth} more`);
      return items;
    }
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (n++ === LIMITS.variablesWidth) {
        out[TRUNCATED] = 'more keys';
        break;
      }
      const name = storableText(key).slice(0, LIMITS.variablesString);
      out[name] = isSecretName(key) ? REDACTED : walk((value as Record<string, unknown>)[key], depth + 1);
    }
    return out;
  };
  const redacted = walk(variables, 0);
  const bytes = Buffer.byteLength(JSON.stringify(redacted), 'utf8');
  return bytes > LIMITS.variablesBytes ? { [TRUNCATED]: `${bytes} bytes` } : redacted;
}

/**
 * The rows a response returned: every object that is an item of a list, at any depth of `data`.
 * A connection counts its edges (each edge is an item of `edges`), plain lists count their
 * objects, and lists nested in those items count too (a page of 3 teams with 2 members each is
 * 3 + 6 = 9). Lists of scalars (an event's resourceArns) are values of one row and count 0; a
 * single object (resource(arn:)) is not in a list and counts 0.
 *
 * Given the operation (and the document's fragments), only the fields it selected with a
 * sub-selection are walked: a JSON value (an event's `raw` record, a grant's `statement`) is a
 * leaf however many lists it holds. Without it every list in `data` counts.
 */
export function countReturnedRows(data: unknown, operation?: OperationDefinitionNode, fragments?: ReadonlyMap<string, FragmentDefinitionNode>): number {
  if (operation) return countSelected(data, [operation.selectionSet], fragments ?? new Map(), false);
  let rows = 0;
  const stack: { value: unknown; inList: boolean }[] = [{ value: data, inList: false }];
  while (stack.length > 0) {
    const { value, inList } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, inList: true });
      continue;
    }
    if (inList) rows++;
    for (const v of Object.values(value)) if (v !== null && typeof v === 'object') stack.push({ value: v, inList: false });
  }
  return rows;
}

/** The selection sets under each response key (null: a leaf), fragments merged in. */
function collectFields(sets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): Map<string, SelectionSetNode[] | null> {
  const out = new Map<string, SelectionSetNode[] | null>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        if (!sel.selectionSet) {
          if (!out.has(key)) out.set(key, null);
          continue;
        }
        const list = out.get(key);
        if (list) list.push(sel.selectionSet);
        else out.set(key, [sel.selectionSet]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visit(sel.selectionSet);
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return out;
}

function countSelected(value: unknown, sets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>, inList: boolean): number {
  if (value === null || typeof value !== 'object') return 0;
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value) n += countSelected(item, sets, fragments, true);
    return n;
  }
  let n = inList ? 1 : 0;
  for (const [key, subSets] of collectFields(sets, fragments)) {
    if (subSets) n += countSelected((value as Record<string, unknown>)[key], subSets, fragments, false);
  }
  return n;
}

/** A document's fragments by name, for countReturnedRows. */
export function fragmentsOf(document: DocumentNode | undefined): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const def of document?.definitions ?? []) if (def.kind === Kind.FRAGMENT_DEFINITION) out.set(def.name.value, def);
  return out;
}

const cut = (value: string | null | undefined, max: number): string | null => {
  if (value === null || value === undefined) return null;
  const s = storableText(value);
  return s.length > max ? s.slice(0, max) : s;
};

const count = (n: number | null | undefined): number | null => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.min(Math.round(n), 2_147_483_647) : null);

/** An entry within the table's bounds, whatever the caller passed, so one entry cannot fail a batch. */
export function boundEntry(e: AccessLogEntry): AccessLogEntry {
  const errorCode = e.outcome === 'allowed' ? null : (cut(e.errorCode, LIMITS.errorCode) ?? 'INTERNAL_SERVER_ERROR');
  const identityId = cut(e.identityId, LIMITS.identity);
  return {
    at: Number.isNaN(e.at.getTime()) ? new Date() : e.at,
    identityKind: identityId === null ? null : e.identityKind,
    identityId: e.identityKind === null ? null : identityId,
    identityName: cut(e.identityName, LIMITS.identity),
    role: e.role,
    transport: e.transport,
    operationType: e.operationType,
    operationName: cut(e.operationName, LIMITS.operationName),
    querySha256: e.querySha256 !== null && /^[0-9a-f]{64}$/.test(e.querySha256) ? e.querySha256 : null,
    variables: e.variables === undefined ? null : e.variables,
    outcome: e.outcome,
    errorCode,
    httpStatus: typeof e.httpStatus === 'number' && e.httpStatus >= 100 && e.httpStatus <= 599 ? Math.trunc(e.httpStatus) : null,
    rowsReturned: count(e.rowsReturned),
    durationMs: typeof e.durationMs === 'number' && Number.isFinite(e.durationMs) && e.durationMs >= 0 ? e.durationMs : null,
    clientAddress: cut(e.clientAddress, LIMITS.clientAddress),
    userAgent: cut(e.userAgent, LIMITS.userAgent),
  };
}

// ---- the writer ----

export interface AccessLogWarnings {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AccessLogWriterOptions {
  /** write the buffer at least this often (ms): what a crash can lose */
  flushEveryMs?: number;
  /** entries per INSERT statement */
  maxBatch?: number;
  /** entries held while the database does not answer; past it the oldest are dropped */
  maxBuffered?: number;
  log?: AccessLogWarnings;
}

export interface AccessLogWriter {
  /** Buffers one entry; never waits, never throws. */
  record(entry: AccessLogEntry): void;
  /** Writes everything buffered now; rejects if the database refused (the entries stay buffered). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left (one attempt); later entries are not recorded. */
  stop(): Promise<void>;
}

const silent: AccessLogWarnings = { warn: () => undefined, error: () => undefined };

/** One set-based statement per batch: the batch travels as one jsonb array parameter. */
const INSERT = `INSERT INTO api_access_log (at, identity_kind, identity_id, identity_name, role, transport, operation_type,
    operation_name, query_sha256, variables, outcome, error_code, http_status, rows_returned, duration_ms, client_address, user_agent)
  SELECT r.at, r."identityKind", r."identityId", r."identityName", r.role, r.transport, r."operationType",
         r."operationName", r."querySha256", r.variables, r.outcome, r."errorCode", r."httpStatus", r."rowsReturned",
         r."durationMs", r."clientAddress", r."userAgent"
    FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (at timestamptz, "identityKind" text, "identityId" text,
         "identityName" text, role text, transport text, "operationType" text, "operationName" text, "querySha256" text,
         variables jsonb, outcome text, "errorCode" text, "httpStatus" int, "rowsReturned" int, "durationMs" float8,
         "clientAddress" text, "userAgent" text)) WITH ORDINALITY AS r(at, "identityKind", "identityId", "identityName", role,
         transport, "operationType", "operationName", "querySha256", variables, outcome, "errorCode", "httpStatus",
         "rowsReturned", "durationMs", "clientAddress", "userAgent", ord)
   ORDER BY r.ord`;

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the rows, not the database, are at fault. */
const isDataError = (err: unknown) => typeof (err as { code?: unknown }).code === 'string' && /^2[23]/.test((err as { code: string }).code);

export function createAccessLogWriter(pool: Pick<Pool, 'query'>, opts: AccessLogWriterOptions = {}): AccessLogWriter {
  const flushEveryMs = opts.flushEveryMs ?? 1000;
  const maxBatch = opts.maxBatch ?? 500;
  const maxBuffered = opts.maxBuffered ?? 50_000;
  const log = opts.log ?? silent;

  let buffer: AccessLogEntry[] = [];
  let dropped = 0;
  let stopped = false;
  let running: Promise<void> | null = null;
  let failing = false;

  const reportDropped = () => {
    if (dropped === 0) return;
    log.warn({ dropped, maxBuffered }, `access log: buffer full, dropped the ${dropped} oldest entries`);
    dropped = 0;
  };

  const trim = () => {
    if (buffer.length <= maxBuffered) return;
    const excess = buffer.length - maxBuffered;
    buffer.splice(0, excess);
    dropped += excess;
  };

  async function insert(batch: AccessLogEntry[]): Promise<void> {
    try {
      await pool.query(INSERT, [JSON.stringify(batch)]);
    } catch (err) {
      if (!isDataError(err) || batch.length === 1) throw err;
      // one bad row must not hold the others back forever: write them one by one, drop the bad ones
      for (const entry of batch) {
        try {
          await pool.query(INSERT, [JSON.stringify([entry])]);
        } catch (rowErr) {
          if (!isDataError(rowErr)) throw rowErr;
          log.error({ err: (rowErr as Error).message }, 'access log: dropped one entry the database refused');
        }
      }
    }
  }

  async function drain(): Promise<void> {
    reportDropped();
    while (buffer.length > 0) {
      const batch = buffer.splice(0, maxBatch);
      try {
        await insert(batch);
      } catch (err) {
        // keep the batch, oldest first, for the next tick
        buffer = batch.concat(buffer);
        trim();
        reportDropped();
        if (!failing) log.warn({ err: (err as Error).message, buffered: buffer.length }, 'access log: write failed; retrying');
        failing = true;
        throw err;
      }
      if (failing) log.warn({ buffered: buffer.length }, 'access log: writing again');
      failing = false;
    }
  }

  /** One drain at a time; a flush asked for during one waits for it and then drains again. */
  function flush(): Promise<void> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(drain);
    const mine = next.finally(() => {
      if (running === mine) running = null;
    });
    running = mine;
    return mine;
  }

  const timer = setInterval(() => {
    if (buffer.length > 0 || dropped > 0) flush().catch(() => undefined);
  }, flushEveryMs);
  timer.unref();

  return {
    record(entry) {
      try {
        if (stopped) return;
        buffer.push(boundEntry(entry));
        trim();
        // a full batch need not wait for the tick
        if (buffer.length >= maxBatch && running === null) flush().catch(() => undefined);
      } catch {
        // recording must never fail a request
      }
    },
    flush,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      try {
        await flush();
      } catch (err) {
        log.error({ err: (err as Error).message, lost: buffer.length }, 'access log: entries not written at shutdown');
      }
    },
  };
}

// ---- entries from requests ----

/** What the plugin reads from the GraphQL context (the lead's createContext fills it). */
export interface AccessLogContext {
  identity?: Identity;
  client?: { address: string | null; userAgent: string | null; transport: AccessTransport };
}

const identityFields = (identity: Identity | null | undefined) => ({
  identityKind: identity?.kind ?? null,
  identityId: identity?.id ?? null,
  identityName: identity?.name ?? null,
  role: identity?.role ?? null,
});

/** The code of the first error (extensions.code), else INTERNAL_SERVER_ERROR; null when none. */
export function firstErrorCode(errors: readonly { extensions?: Record<string, unknown> }[] | undefined | null): string | null {
  if (!errors || errors.length === 0) return null;
  const code = errors[0].extensions?.code;
  return typeof code === 'string' && code !== '' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * A request refused before Apollo ran (401 no or bad credential, 413 body too large, 429 rate
 * limited, 400 malformed body): no operation, no variables. `identity` when it was known (a
 * rate-limited key).
 */
export function refusedRequestEntry(r: {
  at: Date;
  transport: AccessTransport;
  status: number;
  code: string;
  identity?: Identity | null;
  address: string | null;
  userAgent: string | null;
  durationMs: number;
}): AccessLogEntry {
  return {
    at: r.at,
    ...identityFields(r.identity),
    transport: r.transport,
    operationType: null,
    operationName: null,
    querySha256: null,
    variables: null,
    outcome: outcomeOf(r.code),
    errorCode: r.code,
    httpStatus: r.status,
    rowsReturned: null,
    durationMs: r.durationMs,
    clientAddress: r.address,
    userAgent: r.userAgent,
  };
}

/**
 * Requests the plugin recorded, so the HTTP middleware does not record them again. Apollo hands
 * plugins a shallow copy of the context, so what is marked is the context's `client` object,
 * which the copy shares with the context the express middleware holds.
 */
const recordedRequests = new WeakSet<object>();
const requestMark = (ctx: unknown): object | null => {
  if (!ctx || typeof ctx !== 'object') return null;
  const client = (ctx as AccessLogContext).client;
  return client && typeof client === 'object' ? client : null;
};
const markRecorded = (ctx: unknown) => {
  const mark = requestMark(ctx);
  if (mark) recordedRequests.add(mark);
};
const wasRecorded = (ctx: unknown) => {
  const mark = requestMark(ctx);
  return mark !== null && recordedRequests.has(mark);
};

/**
 * The Apollo Server plugin recording every GraphQL request over HTTP that reaches Apollo's
 * request pipeline (parse failures and validation failures included). Operation type and name
 * come from the resolved operation; the outcome and code from the first error of the response
 * as sent (after formatError, so it is the code the client saw); rows from the response data.
 */
export function accessLogPlugin(writer: AccessLogWriter): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart(start) {
      const at = new Date();
      const began = performance.now();
      return {
        async willSendResponse(rc) {
          try {
            const ctx = rc.contextValue as AccessLogContext;
            const body = rc.response.body;
            const single = body.kind === 'single' ? body.singleResult : body.initialResult;
            const errorCode = firstErrorCode(single.errors as never);
            const query = rc.request.query ?? rc.source;
            markRecorded(ctx);
            writer.record({
              at,
              ...identityFields(ctx?.identity),
              transport: ctx?.client?.transport ?? 'http',
              operationType: rc.operation?.operation ?? null,
              operationName: rc.operation ? (rc.operation.name?.value ?? rc.request.operationName ?? null) : null,
              querySha256: typeof query === 'string' ? querySha256(query) : null,
              variables: redactVariables(rc.request.variables),
              outcome: outcomeOf(errorCode),
              errorCode,
              httpStatus: rc.response.http.status ?? 200,
              rowsReturned: single.data ? countReturnedRows(single.data, rc.operation, fragmentsOf(rc.document)) : 0,
              durationMs: performance.now() - began,
              clientAddress: ctx?.client?.address ?? null,
              userAgent: ctx?.client?.userAgent ?? null,
            });
          } catch (err) {
            start.logger.warn(`access log: request not recorded: ${(err as Error).message}`);
          }
        },
      };
    },
  };
}

/** The code a response refused or failed before Apollo carries, by its HTTP status. */
export function codeForStatus(status: number): string | null {
  if (status < 400) return null;
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 429) return 'RATE_LIMITED';
  if (status < 500) return 'BAD_REQUEST';
  return 'INTERNAL_SERVER_ERROR';
}

/** The little of express's request and response the middleware reads. */
interface HttpRequestLike {
  socket: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}
interface HttpResponseLike {
  statusCode: number;
  locals: Record<string, unknown>;
  on(event: 'finish', listener: () => void): unknown;
}

/**
 * Express middleware for /graphql, mounted before authentication and body parsing: when the
 * response has been sent, records it with refusedRequestEntry unless the Apollo plugin recorded
 * it already, so what never reached Apollo's request pipeline is on the record too (401 from the
 * credential check, 413 and 400 from the body parser, 429 from the rate limit, Apollo's own
 * BAD_REQUEST for a malformed GraphQL request, a context that failed). It reads the identity,
 * when one was established, from `res.locals.identity`, and the GraphQL context, when one was
 * made, from `res.locals.graphqlContext` (the context function should set it).
 */
export function accessLogHttpMiddleware(writer: AccessLogWriter, opts: { identityOf?: (res: HttpResponseLike) => Identity | undefined; contextOf?: (res: HttpResponseLike) => unknown } = {}) {
  const identityOf = opts.identityOf ?? ((res) => res.locals.identity as Identity | undefined);
  const contextOf = opts.contextOf ?? ((res) => res.locals.graphqlContext);
  return (req: HttpRequestLike, res: HttpResponseLike, next: () => void): void => {
    const at = new Date();
    const began = performance.now();
    res.on('finish', () => {
      try {
        const ctx = contextOf(res);
        if (wasRecorded(ctx)) return;
        // not a GraphQL answer (a CORS preflight, the landing page): nothing to record
        const code = codeForStatus(res.statusCode);
        if (code === null) return;
        const ua = req.headers['user-agent'];
        writer.record(
          refusedRequestEntry({
            at,
            transport: 'http',
            status: res.statusCode,
            code,
            identity: identityOf(res),
            address: req.socket.remoteAddress ?? null,
            userAgent: typeof ua === 'string' ? ua : null,
            durationMs: performance.now() - began,
          }),
        );
      } catch {
        // recording must never fail a request
      }
    });
    next();
  };
}

/**
 * One WebSocket subscription operation (graphql-ws): `start` when it is subscribed (or refused:
 * pass the errors), `end` when it completes, errors or the client leaves. Recorded once, at the
 * end, with the duration of the subscription and the events it delivered as rowsReturned; a
 * subscription refused at start is recorded at once.
 */
export function subscriptionRecorder(
  writer: AccessLogWriter,
  r: {
    identity?: Identity | null;
    address: string | null;
    userAgent: string | null;
    query: string | null;
    operationName: string | null;
    variables: unknown;
  },
) {
  const at = new Date();
  const began = performance.now();
  let operationType: OperationType | null = null;
  let rows = 0;
  let done = false;
  const finish = (errorCode: string | null, status: number | null) => {
    if (done) return;
    done = true;
    writer.record({
      at,
      ...identityFields(r.identity),
      transport: 'ws',
      operationType,
      operationName: operationType === null ? null : r.operationName,
      querySha256: r.query === null ? null : querySha256(r.query),
      variables: redactVariables(r.variables),
      outcome: outcomeOf(errorCode),
      errorCode,
      httpStatus: status,
      rowsReturned: rows,
      durationMs: performance.now() - began,
      clientAddress: r.address,
      userAgent: r.userAgent,
    });
  };
  return {
    /** The operation resolved (null: it never did); a refusal arrives through end(errors). */
    start(operation: OperationType | null) {
      operationType = operation;
    },
    /** One event delivered (a subscription's rows are its events). */
    next() {
      rows++;
    },
    /** Completed or the client left (null), or ended by an error (its errors). */
    end(errors?: readonly { extensions?: Record<string, unknown> }[]) {
      finish(firstErrorCode(errors), null);
    },
  };
}
