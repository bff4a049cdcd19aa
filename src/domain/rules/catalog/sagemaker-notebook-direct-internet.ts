import { actedOnArn, isDisabled, isJudgedCall, readEnabledSetting, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateNotebookInstance'] }];

/**
 * A notebook created with direct internet access. `directInternetAccess` absent = Enabled (the API
 * default). Only "Disabled" is compliant (compared without regard to case); any other value fires.
 * UpdateNotebookInstance cannot change it, so only the create is read.
 */
export const sagemakerNotebookDirectInternet: Rule = {
  id: 'sagemaker-notebook-direct-internet',
  title: 'Notebook instance with direct internet access',
  severity: 'HIGH',
  rationale:
    '01-self-service-guard-rails: "sagemaker:DirectInternetAccess, to ensure that notebooks do not have Internet access"; the lab '
    + 'provides "a PyPI mirror to provide private access to approved Python packages from the data science environments" instead.',
  reads,
  successfulOnly: true,
  remediation:
    'Delete the notebook and create it again with directInternetAccess Disabled and a subnetId (packages through the PyPI mirror); '
    + 'deny sagemaker:CreateNotebookInstance unless sagemaker:DirectInternetAccess is Disabled.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const setting = readEnabledSetting(event.requestParameters, 'directInternetAccess', 'Enabled');
    if (isDisabled(setting.value)) return [];
    const resourceArn = actedOnArn(event, 'notebookInstanceArn');
    return [{
      resourceArn,
      message: `Notebook instance ${resourceLabel(event, 'notebookInstanceName', resourceArn)} has direct internet access (directInternetAccess ${String(setting.value)}${setting.requested ? '' : ', the API default'}).`,
      evidence: { directInternetAccess: setting.value, decidedBy: setting.decidedBy },
    }];
  },
};
