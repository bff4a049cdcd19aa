import { renderCsv } from './render-csv';
import { renderHtml } from './render-html';
import { renderMarkdown } from './render-markdown';
import type { ComplianceReport } from './types';

/**
 * `govgraph report`: the compliance figures of a time window. Reading (buildComplianceReport) is
 * separate from rendering (pure functions of the report), so every format shows the same figures.
 */

export { buildComplianceReport, catalogVersion } from './build';
export type { ReportOptions } from './build';
export { parseReportTime } from './time';
export { renderCsv } from './render-csv';
export { renderHtml } from './render-html';
export { renderMarkdown } from './render-markdown';
export * from './types';

/** Two-space indented JSON with a final newline; keys in the report's fixed order. */
export function renderJson(report: ComplianceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export const REPORT_FORMATS = ['md', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: ComplianceReport, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'csv':
      return renderCsv(report);
    case 'json':
      return renderJson(report);
    case 'html':
      return renderHtml(report);
  }
}
