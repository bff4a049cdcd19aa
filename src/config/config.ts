import { z } from 'zod';

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
  /** The rule configuration file (YAML or JSON); absent: every rule with its defaults. */
  GOVGRAPH_RULES_CONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

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
