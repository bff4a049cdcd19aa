/**
 * The SageMaker configuration rules: how resources were created (network, encryption, root,
 * instance types, deployers, Service Catalog). The tagging/Studio/access rules have their own index.
 */
import type { Rule } from '../types';
import { sagemakerDomainPublicInternet } from './sagemaker-domain-public-internet';
import { sagemakerEndpointConfigNoKms } from './sagemaker-endpoint-config-no-kms';
import { sagemakerEndpointDeployUnauthorized } from './sagemaker-endpoint-deploy-unauthorized';
import { sagemakerInstanceTypeNotAllowed } from './sagemaker-instance-type-not-allowed';
import { sagemakerModelNoNetworkIsolation } from './sagemaker-model-no-network-isolation';
import { sagemakerModelNoVpc } from './sagemaker-model-no-vpc';
import { sagemakerNotebookDirectInternet } from './sagemaker-notebook-direct-internet';
import { sagemakerNotebookNoKms } from './sagemaker-notebook-no-kms';
import { sagemakerNotebookNoVpc } from './sagemaker-notebook-no-vpc';
import { sagemakerNotebookOutsideServiceCatalog } from './sagemaker-notebook-outside-service-catalog';
import { sagemakerNotebookRootAccess } from './sagemaker-notebook-root-access';
import { sagemakerProcessingJobNoVpc } from './sagemaker-processing-job-no-vpc';
import { sagemakerTrainingJobNoIntercontainerEncryption } from './sagemaker-training-job-no-intercontainer-encryption';
import { sagemakerTrainingJobNoNetworkIsolation } from './sagemaker-training-job-no-network-isolation';
import { sagemakerTrainingJobNoOutputKms } from './sagemaker-training-job-no-output-kms';
import { sagemakerTrainingJobNoVolumeKms } from './sagemaker-training-job-no-volume-kms';
import { sagemakerTrainingJobNoVpc } from './sagemaker-training-job-no-vpc';
import { sagemakerTuningJobNoVpc } from './sagemaker-tuning-job-no-vpc';

export const SAGEMAKER_CONFIG_RULES: Rule[] = [
  sagemakerTrainingJobNoVpc,
  sagemakerProcessingJobNoVpc,
  sagemakerTuningJobNoVpc,
  sagemakerModelNoVpc,
  sagemakerNotebookNoVpc,
  sagemakerNotebookDirectInternet,
  sagemakerNotebookRootAccess,
  sagemakerNotebookNoKms,
  sagemakerTrainingJobNoVolumeKms,
  sagemakerTrainingJobNoOutputKms,
  sagemakerTrainingJobNoNetworkIsolation,
  sagemakerTrainingJobNoIntercontainerEncryption,
  sagemakerModelNoNetworkIsolation,
  sagemakerEndpointConfigNoKms,
  sagemakerDomainPublicInternet,
  sagemakerInstanceTypeNotAllowed,
  sagemakerEndpointDeployUnauthorized,
  sagemakerNotebookOutsideServiceCatalog,
];
