import type { Config } from '../config/config';
import { ALL_RULES } from '../domain/rules/registry';
import type { EvaluationOptions } from './evaluate';
import { loadRulesConfig } from './rules-config';

/** Rules and their configuration, read once at the entry point (validated: a bad file stops the command). */
export async function loadEvaluationOptions(config: Config): Promise<EvaluationOptions> {
  const file = await loadRulesConfig(config.GOVGRAPH_RULES_CONFIG, {
    knownRuleIds: ALL_RULES.map((r) => r.id),
    teamTagKey: config.TEAM_TAG_KEY,
  });
  return { rules: [...ALL_RULES], config: file.config, suppressions: file.suppressions, teamTagKey: config.TEAM_TAG_KEY };
}
