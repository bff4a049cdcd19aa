import { ACCESS_AND_TAGGING_RULES } from './catalog/access-index';
import { IAM_RULES } from './catalog/iam-index';
import { SAGEMAKER_CONFIG_RULES } from './catalog/sagemaker-config-index';
import type { Rule } from './types';

/** Every rule govgraph evaluates: the catalog the API lists. */
export const ALL_RULES: readonly Rule[] = [...SAGEMAKER_CONFIG_RULES, ...ACCESS_AND_TAGGING_RULES, ...IAM_RULES];

export const ruleById = (id: string): Rule | undefined => ALL_RULES.find((r) => r.id === id);
