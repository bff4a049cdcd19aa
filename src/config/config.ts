import { z } from 'zod';
import { oidcUrlProblem } from '../auth/oidc';

/**
 * govgraph's configuration, read once from the environment at the entry point and validated
 * there; everything below receives only the slices it needs.
 */
const csv = (label: string, pattern: RegExp) =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((xs) => xs.every((x) => pattern.test(x)), { message: `each ${label} must match ${pattern}` });

const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

const postgresUrl = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\//.test(s), { message: 'must be a postgresql:// URL' });
const redisUrl = z.string().refine((s) => /^rediss?:\/\//.test(s), { message: 'must be a redis:// URL' });

export const ConfigSchema = z.object({
  DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/govgraph'),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** The tag whose value names a team on principals and resources. */
  TEAM_TAG_KEY: z.string().min(1).max(128).default('team'),
  /** Accounts and regions the scheduled LookupEvents and GetResources jobs cover. */
  GOVGRAPH_ACCOUNTS: csv('account id', /^\d{12}$/),
  GOVGRAPH_REGIONS: csv('region', /^[a-z]{2}(-[a-z]+)+-\d+$/),
  /** Role assumed in each member account (credentials come from the SDK's default chain). */
  GOVGRAPH_ASSUME_ROLE_NAME: z.string().regex(/^[\w+=,.@-]{1,64}$/).optional(),
  LOOKUP_EVENTS_EVERY_SECONDS: positiveInt(300),
  /** Late-delivered events: each run starts this far before the last checkpoint. */
  LOOKUP_EVENTS_OVERLAP_MINUTES: positiveInt(20),
  LOOKUP_EVENTS_INITIAL_LOOKBACK_HOURS: positiveInt(24).refine((h) => h <= 90 * 24, {
    message: 'LookupEvents covers at most 90 days (2160 hours)',
  }),
  TAG_SYNC_EVERY_SECONDS: positiveInt(3600),
  /** GetAccountAuthorizationDetails schedule per account; CloudTrail IAM events fill in between snapshots. */
  IAM_SNAPSHOT_EVERY_SECONDS: positiveInt(3600),
  /** BullMQ key prefix; the braces keep every key of a queue in one Redis Cluster slot. */
  GOVGRAPH_QUEUE_PREFIX: z.string().min(1).default('{govgraph}'),
  WORKER_CONCURRENCY: positiveInt(2),
  /** How long a job's lock lasts without renewal: a killed worker's job is retried after about this. */
  WORKER_LOCK_MS: positiveInt(30_000),
  /** Port the GraphQL API (`govgraph serve`) listens on; 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /**
   * Address the API listens on: loopback unless told otherwise, so a fresh `govgraph serve` is
   * not reachable from the network; `0.0.0.0` (or `::`) for every interface, e.g. in a container.
   */
  HOST: z
    .string()
    .regex(/^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/, 'must be an IP address or a host name (0.0.0.0 or :: for every interface)')
    .default('127.0.0.1'),
  /** The rule configuration file (YAML or JSON); absent: every rule with its defaults. */
  GOVGRAPH_RULES_CONFIG: z.string().min(1).optional(),
  /** OpenID Connect issuer whose bearer tokens the API accepts, exactly as its tokens' `iss` name it. */
  OIDC_ISSUER: z
    .string()
    .superRefine((s, ctx) => {
      const problem = oidcUrlProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Accepted token audiences (`aud`), comma-separated: the client id(s) registered for govgraph. */
  OIDC_AUDIENCE: csv('audience', /^\S{1,512}$/),
  /** The token claim carrying groups: a name (`groups`, `cognito:groups`) or a dotted path (`realm_access.roles`). */
  OIDC_GROUPS_CLAIM: z.string().min(1).max(256).default('groups'),
  /** The claim mapping file (YAML or JSON): which group grants which role and teams. */
  GOVGRAPH_AUTH_MAPPING: z.string().min(1).optional(),
  /** Abuse limits on one GraphQL operation (src/server/query-limits.ts); unset: the defaults there. */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().optional(),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).optional(),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).optional(),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().optional(),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().optional(),
  GRAPHQL_MAX_BODY_BYTES: z.coerce.number().int().min(1024).optional(),
  /** Requests per minute per credential, counted in Redis across every API process. */
  RATE_LIMIT_PER_MINUTE: positiveInt(600),
  /** Requests of one credential running at once on one API process (each holds a database connection). */
  API_MAX_CONCURRENT_PER_CREDENTIAL: positiveInt(4),
  /** Browser origins allowed to open the WebSocket (`https://dash.example.com`; `*`: any, for development). */
  WS_ALLOWED_ORIGINS: csv('origin', /^(\*|https?:\/\/[^\s/,]+)$/),
  WS_MAX_CONNECTIONS_PER_CREDENTIAL: positiveInt(10),
  WS_MAX_SUBSCRIPTIONS_PER_CREDENTIAL: positiveInt(50),
  /**
   * `required` (default): every GraphQL call needs an API key or OIDC token. `none`: the local-only
   * development mode, refused unless HOST is a loopback address.
   */
  GOVGRAPH_AUTH: z.enum(['required', 'none']).default('required'),
  /** The longest one SQL statement of an API request may run, in ms (statement_timeout). */
  API_STATEMENT_TIMEOUT_MS: positiveInt(10_000),
  /** The longest all the SQL of one API request may take together, in ms; past it the request is stopped. */
  API_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine(oidcSettingsGoTogether).superRefine(localOnlyOnLoopback);

/** OIDC needs all three of issuer, audience and mapping file; a partial setting is a mistake, not "off". */
function oidcSettingsGoTogether(c: { OIDC_ISSUER?: string; OIDC_AUDIENCE: string[]; GOVGRAPH_AUTH_MAPPING?: string }, ctx: z.RefinementCtx) {
  const set = { OIDC_ISSUER: c.OIDC_ISSUER !== undefined, OIDC_AUDIENCE: c.OIDC_AUDIENCE.length > 0, GOVGRAPH_AUTH_MAPPING: c.GOVGRAPH_AUTH_MAPPING !== undefined };
  if (!Object.values(set).some(Boolean)) return;
  for (const [name, present] of Object.entries(set)) {
    if (!present) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'OIDC needs OIDC_ISSUER, OIDC_AUDIENCE and GOVGRAPH_AUTH_MAPPING together' });
    }
  }
}

/** Without credentials the API is anyone's: allowed only while it listens on loopback. */
function localOnlyOnLoopback(c: { GOVGRAPH_AUTH: string; HOST: string }, ctx: z.RefinementCtx) {
  if (c.GOVGRAPH_AUTH === 'none' && !isLoopbackHost(c.HOST)) {
    ctx.addIssue({ code: 'custom', path: ['GOVGRAPH_AUTH'], message: `none (no credentials) is only allowed while HOST is a loopback address; HOST is ${c.HOST}` });
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a bad value is a ConfigError naming every variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (as compose's `${X:-}` gives) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The account × region pairs the scheduled jobs cover. */
export function awsScopes(config: Config): { accountId: string; region: string }[] {
  return config.GOVGRAPH_ACCOUNTS.flatMap((accountId) =>
    config.GOVGRAPH_REGIONS.map((region) => ({ accountId, region })),
  );
}
