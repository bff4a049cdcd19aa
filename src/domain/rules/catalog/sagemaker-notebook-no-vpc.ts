import { ABSENT, actedOnArn, isJudgedCall, nonBlank, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateNotebookInstance'] }];

/** A notebook instance created without subnetId: it has no network interface in your VPC. */
export const sagemakerNotebookNoVpc: Rule = {
  id: 'sagemaker-notebook-no-vpc',
  title: 'Notebook instance created outside a VPC',
  severity: 'HIGH',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VpcSecurityGroupIds, to require that a VPC configuration is provided" and '
    + '"sagemaker:DirectInternetAccess, to ensure that notebooks do not have Internet access"; the approved notebook product '
    + 'places notebooks in the project VPC (with "private access to approved Python packages" through the PyPI mirror). '
    + 'A notebook without subnetId runs only in the SageMaker service VPC, with internet access and none of your network controls.',
  reads,
  successfulOnly: true,
  remediation:
    'Delete the notebook and create it again with subnetId and securityGroupIds (and directInternetAccess Disabled), preferably '
    + 'from the approved Service Catalog product; require sagemaker:VpcSubnets on sagemaker:CreateNotebookInstance.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const raw = event.requestParameters.subnetId;
    if (nonBlank(raw) !== null) return [];
    const resourceArn = actedOnArn(event, 'notebookInstanceArn');
    return [{
      resourceArn,
      message: `Notebook instance ${resourceLabel(event, 'notebookInstanceName', resourceArn)} was created without a subnet in your VPC (subnetId ${raw === undefined || raw === null ? 'absent' : 'blank'}).`,
      evidence: {
        subnetId: raw ?? null,
        decidedBy: raw === undefined || raw === null
          ? `${ABSENT}: the notebook runs in the SageMaker service VPC only`
          : 'set in the request but blank: no subnet',
      },
    }];
  },
};
