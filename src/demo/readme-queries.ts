import { DEMO_QUERIES } from './run-demo';

/** The README's example-queries section, made from the demo's queries (`npm run readme:queries`). */
export function readmeQueriesSection(): string {
  return DEMO_QUERIES.map((q) => `**${q.title}**\n\n\`\`\`graphql\n${q.query}\n\`\`\``).join('\n\n');
}

export const README_MARKERS = { start: '<!-- demo-queries:start -->', end: '<!-- demo-queries:end -->' };

export function withReadmeQueries(readme: string): string {
  const a = readme.indexOf(README_MARKERS.start);
  const b = readme.indexOf(README_MARKERS.end);
  if (a < 0 || b < a) throw new Error('README has no demo-queries markers');
  return `${readme.slice(0, a + README_MARKERS.start.length)}\n${readmeQueriesSection()}\n${readme.slice(b)}`;
}
