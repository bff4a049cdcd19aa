import { actedOnArn, isJudgedCall, isObject, nonBlank, readVpcConfig, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateHyperParameterTuningJob'] }];

interface DefinitionWithoutVpc {
  /** where it is in the request: `trainingJobDefinition` or `trainingJobDefinitions[1]` */
  definition: string;
  definitionName: string | null;
  vpcConfig: unknown;
  decidedBy: string;
}

/**
 * A tuning job launches training jobs from its definition(s): `trainingJobDefinition` or the
 * list `trainingJobDefinitions[]`. One finding per tuning job names every definition without a VPC.
 */
export const sagemakerTuningJobNoVpc: Rule = {
  id: 'sagemaker-tuning-job-no-vpc',
  title: 'Hyperparameter tuning job launches training jobs outside a VPC',
  severity: 'HIGH',
  rationale:
    '03-preventive-controls: "stop a training job from starting if it’s not launched within a VPC". A tuning job starts training '
    + 'jobs on the caller\'s behalf from its training job definitions, so a definition without vpcConfig starts training jobs '
    + 'outside a VPC; 01-self-service-guard-rails: "sagemaker:VpcSecurityGroupIds, to require that a VPC configuration is provided".',
  reads,
  successfulOnly: true,
  remediation:
    'Stop the tuning job and start it again with vpcConfig in every training job definition; extend the 03-preventive-controls Deny '
    + 'to sagemaker:CreateHyperParameterTuningJob when sagemaker:VpcSubnets is absent.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const params = event.requestParameters;
    const definitions: { where: string; body: Record<string, unknown> }[] = [];
    if (isObject(params.trainingJobDefinition)) definitions.push({ where: 'trainingJobDefinition', body: params.trainingJobDefinition });
    if (Array.isArray(params.trainingJobDefinitions)) {
      params.trainingJobDefinitions.forEach((d, i) => {
        if (isObject(d)) definitions.push({ where: `trainingJobDefinitions[${i}]`, body: d });
      });
    }
    const withoutVpc: DefinitionWithoutVpc[] = [];
    for (const { where, body } of definitions) {
      const vpc = readVpcConfig(body, 'vpcConfig');
      if (!vpc.inVpc) withoutVpc.push({ definition: where, definitionName: nonBlank(body.definitionName), vpcConfig: vpc.vpcConfig, decidedBy: vpc.decidedBy });
    }
    if (withoutVpc.length === 0) return [];
    const resourceArn = actedOnArn(event, 'hyperParameterTuningJobArn');
    const named = withoutVpc.map((d) => (d.definitionName ? `${d.definition} (${d.definitionName})` : d.definition)).join(', ');
    return [{
      resourceArn,
      message: `Tuning job ${resourceLabel(event, 'hyperParameterTuningJobName', resourceArn)} launches training jobs without a VPC from ${withoutVpc.length} of ${definitions.length} definition(s): ${named}.`,
      evidence: { definitionsWithoutVpc: withoutVpc, definitionsInRequest: definitions.length },
    }];
  },
};
