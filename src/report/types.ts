/**
 * The compliance report as plain data: what `buildComplianceReport` reads from the violations
 * table and every renderer (Markdown, CSV, JSON, HTML) prints. Dates are ISO 8601 strings in UTC,
 * counts are exact integers, and every list is in a stated, deterministic order.
 */

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type ReportSeverity = (typeof SEVERITIES)[number];

export const REPORT_SCHEMA = 'govgraph.compliance-report/1';

/** How many resources and principals the "worst" lists hold. */
export const WORST_LIMIT = 10;

/** Violations by their status as stored when the report was generated. */
export interface StatusCounts {
  open: number;
  resolved: number;
  suppressed: number;
  total: number;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
}

export interface TeamFigures extends StatusCounts {
  /** the team answerable for the violations; null when none was known */
  team: string | null;
  /** every violation of the window, whatever its status (sums to total) */
  bySeverity: SeverityCounts;
}

export interface RuleFigures extends StatusCounts {
  ruleId: string;
  /** from the rule catalog; null for a rule the catalog no longer has */
  title: string | null;
  /** the highest severity recorded on the rule's violations (configuration overrides included) */
  severity: ReportSeverity;
}

export interface DailyFigures extends StatusCounts {
  /** UTC day of the violations' event time, YYYY-MM-DD */
  day: string;
}

export interface WorstFigures extends StatusCounts {
  /** the resource ARN or principal ARN */
  arn: string;
  /** the open violations only (sums to open) */
  openBySeverity: SeverityCounts;
}

export interface ComplianceReport {
  schema: typeof REPORT_SCHEMA;
  /** by violation event time: from inclusive, to exclusive */
  window: { from: string; to: string };
  /** the team filter; null: every team */
  team: string | null;
  generatedAt: string;
  /** the rule catalog the report was made with: its size and a fingerprint of its ids and severities */
  catalog: { rules: number; fingerprint: string };
  totals: StatusCounts & { bySeverity: SeverityCounts };
  /** most open first, then most violations, then by name (no team last) */
  teams: TeamFigures[];
  /** rules with violations in the window: most open first, then most violations, then by id */
  rules: RuleFigures[];
  /**
   * every UTC day of the window (zeros included) when it spans at most MAX_TREND_DAYS days;
   * otherwise every day from the first to the last one with violations
   */
  daily: DailyFigures[];
  /** top WORST_LIMIT with open violations: most open first, then by open severity mix, then by ARN */
  worstResources: WorstFigures[];
  worstPrincipals: WorstFigures[];
  /**
   * Refused API calls of the window per identity (from the access log, by request time); present
   * only when asked for (ReportOptions.accessLog). Not narrowed by the team filter.
   */
  refusedApiCalls?: RefusedCallFigures[];
}

/** One identity's refused API calls: most refused first, then by name, id, role, kind (byte order; no identity last). */
export interface RefusedCallFigures {
  /** `api-key`, `oidc`, `local`; null: calls refused before anyone was identified (no or bad credential) */
  identityKind: string | null;
  identityId: string | null;
  identityName: string | null;
  /** the role the calls were made with; null when no one was identified */
  role: string | null;
  total: number;
  /** most first, then by code */
  byErrorCode: { code: string; count: number }[];
  /** the first and the last refused call of the window */
  first: string;
  last: string;
}

/** The daily trend lists every day of a window up to this long (a year and a day). */
export const MAX_TREND_DAYS = 366;

export class ReportError extends Error {}
