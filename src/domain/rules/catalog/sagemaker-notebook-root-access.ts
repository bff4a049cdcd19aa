import { ABSENT, actedOnArn, isDisabled, isJudgedCall, readEnabledSetting, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateNotebookInstance', 'UpdateNotebookInstance'] }];

/**
 * Root access on a notebook instance. On CreateNotebookInstance `rootAccess` absent = Enabled (the
 * API default). On UpdateNotebookInstance absent = unchanged, so only a requested value other than
 * "Disabled" fires there.
 */
export const sagemakerNotebookRootAccess: Rule = {
  id: 'sagemaker-notebook-root-access',
  title: 'Notebook instance users have root access',
  severity: 'MEDIUM',
  rationale:
    'No seed names root access; it is one of the guard rails 01-self-service-guard-rails asks for: developers self-serve "while '
    + 'enforcing guard rails and best practice", "in a manner that is inline with your policies and requirements", and the '
    + 'approved product controls "the configuration of the available services". Root on the notebook lets its user change the '
    + 'instance\'s network and package settings (around the PyPI mirror) and read other users\' files on it.',
  reads,
  successfulOnly: true,
  remediation:
    'Update the notebook with rootAccess Disabled (UpdateNotebookInstance, while it is stopped); set RootAccess Disabled in the '
    + 'Service Catalog notebook product and deny sagemaker:CreateNotebookInstance/UpdateNotebookInstance unless sagemaker:RootAccess is Disabled.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const isCreate = event.eventName === 'CreateNotebookInstance';
    const setting = readEnabledSetting(event.requestParameters, 'rootAccess', 'Enabled');
    if (!isCreate && !setting.requested) return []; // absent on update: unchanged, nothing decided here
    if (isDisabled(setting.value)) return [];
    const resourceArn = actedOnArn(event, 'notebookInstanceArn');
    const label = resourceLabel(event, 'notebookInstanceName', resourceArn);
    return [{
      resourceArn,
      message: isCreate
        ? `Notebook instance ${label} was created with root access for its users (rootAccess ${String(setting.value)}${setting.requested ? '' : ', the API default'}).`
        : `Notebook instance ${label} was updated to give its users root access (rootAccess ${String(setting.value)}).`,
      evidence: {
        rootAccess: setting.value,
        decidedBy: setting.requested ? `set in the ${event.eventName} request` : setting.decidedBy.replace(ABSENT, `${ABSENT} on create`),
      },
    }];
  },
};
