import type { Rule } from '../types';
import { iamGuardrailWeakened } from './iam-guardrail-weakened';
import { iamTrainingWithoutVpcAllowed } from './iam-training-without-vpc-allowed';

/** The rules on IAM changes and snapshots (seeds 01, 03 and 05, as policies in force). */
export const IAM_RULES: Rule[] = [iamGuardrailWeakened, iamTrainingWithoutVpcAllowed];
