import type { ComplianceReport, RefusedCallFigures, SeverityCounts } from './types';

/** Wording and escaping the renderers share. */

export const NO_TEAM = '(no team)';
export const teamLabel = (team: string | null): string => team ?? NO_TEAM;
export const teamFilterLabel = (r: ComplianceReport): string => (r.team === null ? 'all teams' : r.team);

export const SEVERITY_KEYS: (keyof SeverityCounts)[] = ['critical', 'high', 'medium', 'low', 'info'];
export const SEVERITY_HEADERS = ['Critical', 'High', 'Medium', 'Low', 'Info'];
export const severityValues = (s: SeverityCounts): number[] => SEVERITY_KEYS.map((k) => s[k]);

export const WINDOW_NOTE = 'by violation event time; from inclusive, to exclusive; days are UTC';
export const STATUS_NOTE = 'statuses are as stored when the report was generated';

export const NO_IDENTITY = '(no credential)';
/** `api-key:deploy-bot (key id)`, `oidc:ana@example.com (sub)`; calls refused before anyone was identified share one line. */
export const identityLabel = (f: RefusedCallFigures): string =>
  f.identityKind === null ? NO_IDENTITY : `${f.identityKind}:${f.identityName ?? f.identityId} (${f.identityId})`;
export const roleLabel = (f: RefusedCallFigures): string => f.role ?? '-';
/** `FORBIDDEN 3, RATE_LIMITED 1` */
export const errorCodesLabel = (f: RefusedCallFigures): string => f.byErrorCode.map((c) => `${c.code} ${c.count}`).join(', ');
export const REFUSED_CALLS_NOTE = 'calls the API refused in the window (by request time), from the access log; every identity, whatever the team filter';

export const catalogLabel = (r: ComplianceReport): string => `${r.catalog.rules} rules (${r.catalog.fingerprint})`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in HTML and SVG text and in quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * One Markdown table cell: CommonMark lets a backslash escape any ASCII punctuation, so the
 * characters that could end the cell (`|`), start emphasis, code, links or raw HTML are escaped;
 * line breaks (which would end the row) become spaces.
 */
export function escapeMarkdown(value: string | number): string {
  return String(value)
    .replace(/\r\n|[\r\n]/g, ' ')
    .replace(/[\\`*_[\]<>|~&!]/g, (c) => `\\${c}`);
}
