import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { evaluateWindow } from '../compliance/evaluate';
import { RulesConfigError } from '../compliance/rules-config';
import { loadEvaluationOptions } from '../compliance/setup';
import { ConfigError, loadConfig, Config } from '../config/config';
import { createPool } from '../db/connections';
import { redactUrl } from '../db/redact';
import { migrate } from '../db/migrate';
import { ingestCloudTrailPaths, ingestTagPaths } from '../ingest/ingest-files';
import type { CloudTrailCounts } from '../ingest/cloudtrail-load';
import type { TagCounts } from '../ingest/tags-load';
import { ingestIamPaths } from '../ingest/iam-ingest';
import type { IamSnapshotCounts } from '../iam/store';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys';
import { ROLES } from '../auth/identity';
import { InvalidInputError } from '../read/errors';
import { runDemo } from '../demo/run-demo';
import { buildComplianceReport, parseReportTime, REPORT_FORMATS, renderReport, ReportFormat } from '../report';
import { serve } from '../server/serve';
import { runWorkers } from '../workers/run-workers';
import { contextEntries, readSimulationExtras, runGrants, runSimulate, runWhoCan } from './access';
import { progressReporter } from './progress';

/**
 * The `govgraph` command. Thin: it parses arguments and configuration, then calls the same
 * functions the workers call. Returns the exit status.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('govgraph')
    .description('GraphQL governance API and append-only audit store for AWS accounts running SageMaker')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('migrate')
    .description('create the database if needed and apply prisma/migrations (offline, idempotent)')
    .action(async () => {
      const config = loadConfig();
      const r = await migrate(config.DATABASE_URL);
      process.stdout.write(
        `${redactUrl(config.DATABASE_URL)}: ${r.createdDatabase ? 'created; ' : ''}${r.applied.length} migration(s) applied, ${r.alreadyApplied.length} already applied\n`,
      );
    });

  const ingest = program.command('ingest').description('ingest files into the audit store');
  ingest
    .command('cloudtrail')
    .description('CloudTrail log files (.json/.json.gz {"Records":[…]}), JSON Lines, EventBridge envelopes, LookupEvents responses; directories are read recursively')
    .argument('<paths...>')
    .option('--json', 'print only one JSON object with the counts')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const config = loadConfig();
      await withPool(config, async (pool) => {
        const progress = progressReporter<CloudTrailCounts>(!opts.json, (c) => `read ${c.read}  stored ${c.stored}  duplicates ${c.duplicates}  conflicts ${c.conflicts}  rejected ${c.rejected}`);
        const evaluation = await loadEvaluationOptions(config);
        const counts = await ingestCloudTrailPaths(pool, paths, { teamTagKey: config.TEAM_TAG_KEY, onProgress: progress.update, evaluation });
        progress.done();
        const { read, stored, duplicates, conflicts, rejected } = counts;
        if (opts.json) process.stdout.write(`${JSON.stringify({ read, stored, duplicates, conflicts, rejected })}\n`);
        else process.stdout.write(`cloudtrail: read ${read}, stored ${stored}, duplicates ${duplicates}, conflicts ${conflicts}, rejected ${rejected}\n`);
      });
    });
  ingest
    .command('tags')
    .description('saved GetResources responses (Resource Groups Tagging API)')
    .argument('<paths...>')
    .option('--complete', 'the files are a complete listing of their accounts and regions: mark resources no longer listed as deleted')
    .option('--json', 'print only one JSON object with the counts')
    .action(async (paths: string[], opts: { json?: boolean; complete?: boolean }) => {
      const config = loadConfig();
      await withPool(config, async (pool) => {
        const progress = progressReporter<TagCounts>(!opts.json, (c) => `read ${c.read}  resources ${c.resources}  rejected ${c.rejected}`);
        const counts = await ingestTagPaths(pool, paths, { teamTagKey: config.TEAM_TAG_KEY, complete: opts.complete, onProgress: progress.update });
        progress.done();
        const { read, resources, deleted, rejected } = counts;
        if (opts.json) process.stdout.write(`${JSON.stringify({ read, resources, deleted, rejected })}\n`);
        else process.stdout.write(`tags: read ${read}, resources ${resources}, deleted ${deleted}, rejected ${rejected}\n`);
      });
    });

  ingest
    .command('iam')
    .description('saved GetAccountAuthorizationDetails responses (`aws iam get-account-authorization-details > f.json`, or SDK pages); a directory of pages is one snapshot')
    .argument('<paths...>')
    .option('--at <time>', "when the snapshot was taken (ISO 8601); default: the file's modification time")
    .option('--json', 'print only one JSON object with the counts')
    .action(async (paths: string[], opts: { json?: boolean; at?: string }) => {
      const config = loadConfig();
      const at = opts.at !== undefined ? parseTime(opts.at, '--at') : undefined;
      await withPool(config, async (pool) => {
        const progress = progressReporter<IamSnapshotCounts>(!opts.json, (c) => `snapshots ${c.snapshots}  grants ${c.grants}  rejected ${c.rejected}`);
        const evaluation = await loadEvaluationOptions(config);
        const c = await ingestIamPaths(pool, paths, { teamTagKey: config.TEAM_TAG_KEY, at, onProgress: progress.update, evaluation });
        progress.done();
        const { users, groups, roles, policies, grants, rejected, snapshots, duplicates } = c;
        if (opts.json) process.stdout.write(`${JSON.stringify({ users, groups, roles, policies, grants, rejected, snapshots, duplicates })}\n`);
        else process.stdout.write(`iam: users ${users}, groups ${groups}, roles ${roles}, policies ${policies}, grants ${grants}, rejected ${rejected} (snapshots ${snapshots} stored, ${duplicates} already stored)\n`);
      });
    });

  program
    .command('worker')
    .description('run the BullMQ workers: scheduled LookupEvents, GetResources and IAM snapshot syncs, file ingestion jobs')
    .action(async () => {
      const config = loadConfig();
      await runWorkers(config);
    });

  program
    .command('evaluate')
    .description('run the compliance rules again over stored events (after a rule or configuration change); idempotent')
    .requiredOption('--from <time>', 'start of the window (ISO 8601, inclusive)')
    .requiredOption('--to <time>', 'end of the window (ISO 8601, exclusive)')
    .option('--json', 'print only one JSON object with the counts')
    .action(async (opts: { from: string; to: string; json?: boolean }) => {
      const config = loadConfig();
      const from = parseTime(opts.from, '--from');
      const to = parseTime(opts.to, '--to');
      const evaluation = await loadEvaluationOptions(config);
      await withPool(config, async (pool) => {
        const c = await evaluateWindow(pool, { from, to }, evaluation);
        if (opts.json) process.stdout.write(`${JSON.stringify(c)}\n`);
        else process.stdout.write(`evaluate: events ${c.events}, findings ${c.findings}, withdrawn ${c.withdrawn}, resolved ${c.resolved}\n`);
      });
    });

  program
    .command('report')
    .description('compliance figures of a time window (by violation event time): per team, per rule, daily trend, worst resources and principals')
    .requiredOption('--from <time>', 'start of the window, inclusive (ISO 8601 date, UTC, or date-time with offset)')
    .requiredOption('--to <time>', 'end of the window, exclusive')
    .option('--team <team>', "only this team's violations")
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('md'))
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--generated-at <time>', 'the generation time the report states (default: now), for reproducible output')
    .option('--access-log', 'add a section of refused API calls per identity in the window (from the API access log)')
    .action(async (opts: { from: string; to: string; team?: string; format: ReportFormat; out?: string; generatedAt?: string; accessLog?: boolean }) => {
      const from = parseReportTime(opts.from, '--from');
      const to = parseReportTime(opts.to, '--to');
      const generatedAt = opts.generatedAt !== undefined ? parseReportTime(opts.generatedAt, '--generated-at') : new Date();
      if (opts.team !== undefined && opts.team.trim() === '') throw new Error('--team needs a team name');
      const config = loadConfig();
      const report = await withPool(config, (pool) => buildComplianceReport(pool, { from, to, team: opts.team, generatedAt, accessLog: opts.accessLog === true }));
      const text = renderReport(report, opts.format);
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      await writeFile(opts.out, text).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot write ${opts.out}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
      });
      process.stdout.write(`report: wrote ${opts.out} (${opts.format}, ${report.totals.total} violations)\n`);
    });

  const repeatable = (v: string, previous: string[] | undefined) => [...(previous ?? []), v];
  const contextOption = new Option(
    '--context <key=value[,value]>',
    'a condition context entry the request carries, over what govgraph derives (repeatable; commas separate the values of a multivalued key, `\\,` is a comma inside a value; `key=` for no value); a key left out is absent',
  ).argParser(repeatable);
  const contextFileOption = new Option(
    '--context-file <file>',
    'context entries from a JSON file: {"key": "value" | ["value", …]} (values as written, commas included), or GraphQL\'s [{"key", "values"}]',
  );
  const atOption = (what: string) => new Option('--at <time>', `${what} as of this moment (ISO 8601; default now)`);

  program
    .command('simulate')
    .description("can this principal call this action (on this resource)? Prints the decision, the statements that decided it and why; exits 0 whatever the decision")
    .argument('<principal-arn>', 'an IAM user or role ARN, or an assumed-role session ARN (evaluated as its role)')
    .argument('<action>', 'service:Action, e.g. sagemaker:DeleteExperiment')
    .argument('[resource-arn]', 'the resource (default *)')
    .addOption(contextOption)
    .addOption(contextFileOption)
    .option('--request-tag <key=value>', 'a tag the request itself sets (a Create* call\'s Tags): aws:RequestTag/key and aws:TagKeys (repeatable; the value as written, commas included)', repeatable)
    .option('--resource-policy <file>', 'a resource-based policy (JSON document) to evaluate with the identity policies, e.g. a bucket policy')
    .option('--session-policy <file>', 'a session policy (JSON document) passed when the session was created')
    .option(
      '--scp <[level:]file>',
      'a service control policy (JSON document) at a level of the organisation (repeatable): the files with the same level label (root, ou-…, an account id; none: root) are the SCPs of that level, levels in the order first given (root first), and every level must allow',
      repeatable,
    )
    .addOption(atOption('policies, memberships and tags'))
    .option('--json', 'print only the Decision as one JSON object (as GraphQL `simulate` gives it)')
    .action(async (principalArn: string, action: string, resourceArn: string | undefined, opts: SimulateFlags) => {
      const config = loadConfig();
      const o = { ...(await accessOptions(opts)), ...(await readSimulationExtras(opts)) };
      const out = await withPool(config, (pool) => runSimulate(pool, principalArn, action, resourceArn, o));
      process.stdout.write(out);
    });

  program
    .command('who-can')
    .description('the IAM users and roles allowed this action (on this resource), one line each with the statements that allow it')
    .argument('<action>', 'service:Action, e.g. sagemaker:CreateTrainingJob')
    .argument('[resource-arn]', 'the resource (default *); only its own account\'s principals can be allowed')
    .addOption(contextOption)
    .addOption(contextFileOption)
    .addOption(atOption('policies, memberships and tags'))
    .option('--account <id>', "only this account's principals")
    .option('--json', 'print only one JSON array of {principalArn, decision} (as GraphQL `whoCan` gives it)')
    .action(async (action: string, resourceArn: string | undefined, opts: AccessFlags & { account?: string }) => {
      const config = loadConfig();
      const o = { ...(await accessOptions(opts)), accountId: opts.account };
      const { out, none } = await withPool(config, (pool) => runWhoCan(pool, action, resourceArn, o));
      process.stdout.write(out);
      if (none) process.stderr.write(`govgraph: ${none}\n`);
    });

  program
    .command('grants')
    .description("the policy statements reaching this IAM user or role at a moment: kind, policy, version, Sid, effect, actions, resources, conditions")
    .argument('<principal-arn>', 'an IAM user or role ARN, or an assumed-role session ARN (its role)')
    .addOption(atOption('grants valid'))
    .option('--json', 'print only one JSON array of grants (as GraphQL `policyGrants` gives them)')
    .action(async (principalArn: string, opts: { at?: string; json?: boolean }) => {
      const config = loadConfig();
      const o = await accessOptions(opts);
      const out = await withPool(config, (pool) => runGrants(pool, principalArn, o));
      process.stdout.write(out);
    });

  const apiKey = program.command('api-key').description('API keys for bots, dashboards and scripts (Authorization: Bearer <key>)');
  apiKey
    .command('create')
    .description('make a key and print it once: only its hash is stored')
    .requiredOption('--name <name>', 'who or what uses it (kept in the access log and on every change it makes)')
    .addOption(new Option('--role <role>', 'what it may read and change (README: Roles)').choices([...ROLES]).makeOptionMandatory())
    .option('--team <team>', 'a team it is scoped to (repeatable; team-lead and team-member need at least one)', repeatable)
    .option('--expires <time>', 'when it stops working (ISO 8601); default: never')
    .option('--json', 'print only {"id","key","role","teams"}')
    .action(async (opts: { name: string; role: string; team?: string[]; expires?: string; json?: boolean }) => {
      const config = loadConfig();
      const expiresAt = opts.expires !== undefined ? parseTime(opts.expires, '--expires') : null;
      const { row, key } = await withPool(config, (pool) => createApiKey(pool, { name: opts.name, role: opts.role, teams: opts.team, expiresAt }));
      if (opts.json) process.stdout.write(`${JSON.stringify({ id: row.id, key, role: row.role, teams: row.teams })}\n`);
      else {
        process.stdout.write(`api key ${row.id} (${row.name}, ${row.role}${row.teams.length ? ` of ${row.teams.join(', ')}` : ''}${row.expiresAt ? `, expires ${row.expiresAt.toISOString()}` : ''}):\n${key}\n`);
        process.stderr.write('govgraph: this is the only time the key is shown; store it as a secret\n');
      }
    });
  apiKey
    .command('list')
    .description('every key: id, name, role, teams, created, expires, revoked (never the key itself)')
    .option('--json', 'print only one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const rows = await withPool(config, (pool) => listApiKeys(pool));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows.map((r) => ({ id: r.id, name: r.name, role: r.role, teams: r.teams, createdAt: r.createdAt, expiresAt: r.expiresAt, revokedAt: r.revokedAt })))}\n`);
        return;
      }
      const now = Date.now();
      for (const r of rows) {
        const state = r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : r.expiresAt && r.expiresAt.getTime() <= now ? `expired ${r.expiresAt.toISOString()}` : r.expiresAt ? `active until ${r.expiresAt.toISOString()}` : 'active';
        process.stdout.write(`${r.id}  ${r.name}  ${r.role}${r.teams.length ? ` [${r.teams.join(', ')}]` : ''}  created ${r.createdAt.toISOString()}  ${state}\n`);
      }
      if (rows.length === 0) process.stdout.write('no API keys yet: govgraph api-key create --name NAME --role ROLE\n');
    });
  apiKey
    .command('revoke')
    .description('stop a key at once, on every API process')
    .argument('<id>', 'the key id (api-key list)')
    .action(async (id: string) => {
      const config = loadConfig();
      const found = await withPool(config, (pool) => revokeApiKey(pool, id));
      if (!found) throw new Error(`no API key with id ${id}`);
      process.stdout.write(`api key ${id} revoked\n`);
    });

  program
    .command('demo')
    .description("ingest the demo story (two teams, guard rails, ABAC), start the API and print three example queries with their answers")
    .option('--port <port>', 'API port (default: PORT or 4000)')
    .option('--exit', 'exit after printing the answers instead of serving')
    .action(async (opts: { port?: string; exit?: boolean }) => {
      const config = loadConfig();
      const port = opts.port !== undefined ? Number(opts.port) : config.PORT;
      await runDemo(config, { serve: !opts.exit, port });
      if (!opts.exit) {
        await runWorkers(config); // until SIGINT/SIGTERM
        process.exit(0);
      }
    });

  program
    .command('serve')
    .description('serve the GraphQL API on HOST:PORT (default 127.0.0.1:4000) at /graphql, with /healthz and /readyz; stops cleanly on SIGINT/SIGTERM')
    .action(async () => {
      const config = loadConfig();
      await serve(config);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`govgraph: ${describeError(err)}\n`);
    exitCode = 1;
  }
  return exitCode;
}

function parseTime(text: string, flag: string): Date {
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) throw new Error(`${flag} "${text}" is not an ISO 8601 date or time`);
  return d;
}

interface AccessFlags {
  context?: string[];
  contextFile?: string;
  at?: string;
  json?: boolean;
}

type SimulateFlags = AccessFlags & { requestTag?: string[]; resourcePolicy?: string; sessionPolicy?: string; scp?: string[] };

async function accessOptions(opts: AccessFlags) {
  return {
    context: await contextEntries(opts.context ?? [], opts.contextFile),
    at: opts.at !== undefined ? parseTime(opts.at, '--at') : new Date(),
    json: opts.json === true,
  };
}

async function withPool<T>(config: Config, fn: (pool: import('pg').Pool) => Promise<T>): Promise<T> {
  const pool = createPool(config.DATABASE_URL);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** One line a person can act on; never a stack trace, never a password. */
export function describeError(err: unknown): string {
  if (err instanceof ConfigError || err instanceof RulesConfigError || err instanceof InvalidInputError) return err.message;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e?.code === 'ECONNREFUSED' || (Array.isArray(e?.errors) && e.errors.length > 0 && (e.errors[0] as { code?: string }).code === 'ECONNREFUSED')) {
    return `cannot connect to the database (${redactUrl(loadConfigSafe()?.DATABASE_URL ?? '')}): connection refused; is Postgres running?`;
  }
  if (e?.code === '3D000') return `${e.message}; run \`govgraph migrate\` first`;
  if (e?.code === '42P01') return `${e.message}; the database is not migrated: run \`govgraph migrate\``;
  return e?.message ?? String(err);
}

function loadConfigSafe(): Config | null {
  try {
    return loadConfig();
  } catch {
    return null;
  }
}
