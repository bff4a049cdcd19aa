import { actedOnArn, isJudgedCall, requestTags, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateNotebookInstance'] }];

const PRODUCT_ARN_TAG = 'aws:servicecatalog:productArn';

/**
 * A notebook instance not provisioned from an approved Service Catalog product. The criterion is
 * the `aws:servicecatalog:productArn` tag, which Service Catalog puts on the stack and CloudFormation
 * passes on to what it creates; the `aws:` prefix is reserved, so no caller can set it by hand.
 * Read from the request's tags, else from the notebook's tags as govgraph knew them at the event's
 * time (ctx.resourceOwners). The caller's identity is not a criterion: a launch role can be used
 * outside Service Catalog, and the configuration names no launch roles. Not judged when
 * `serviceCatalogProducts` is empty (the rule is not configured).
 */
export const sagemakerNotebookOutsideServiceCatalog: Rule = {
  id: 'sagemaker-notebook-outside-service-catalog',
  title: 'Notebook instance not provisioned from the approved Service Catalog product',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: Service Catalog is there for "enabling users to quickly deploy only the approved IT services they need"; the lab '
    + 'grants "project administrators the ability to deploy data science environments using this product in Service Catalog"; '
    + '03-preventive-controls delivers policy changes through "an updated version of the Jupyter notebook product". '
    + 'A notebook created outside the product escapes those controls.',
  reads,
  successfulOnly: true,
  remediation:
    'Provision the notebook from the approved Service Catalog product and delete the hand-made one; remove '
    + 'sagemaker:CreateNotebookInstance from the principals that should only launch products.',
  evaluate(event, ctx): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const approved = ctx.config.serviceCatalogProducts;
    if (approved.length === 0) return [];
    const resourceArn = actedOnArn(event, 'notebookInstanceArn');
    const fromRequest = requestTags(event.requestParameters)[PRODUCT_ARN_TAG];
    const fromResource = resourceArn !== null ? ctx.resourceOwners[resourceArn]?.tags?.[PRODUCT_ARN_TAG] : undefined;
    const productArn = fromRequest ?? fromResource ?? null;
    if (productArn !== null && approved.includes(productArn)) return [];
    const source = fromRequest !== undefined ? 'the request\'s tags' : fromResource !== undefined ? 'the notebook\'s tags at the event\'s time' : null;
    return [{
      resourceArn,
      message: productArn === null
        ? `Notebook instance ${resourceLabel(event, 'notebookInstanceName', resourceArn)} was not created through Service Catalog (no ${PRODUCT_ARN_TAG} tag).`
        : `Notebook instance ${resourceLabel(event, 'notebookInstanceName', resourceArn)} comes from Service Catalog product ${productArn}, which is not an approved one.`,
      evidence: {
        [PRODUCT_ARN_TAG]: productArn,
        decidedBy: source === null
          ? `no ${PRODUCT_ARN_TAG} tag in the request nor on the notebook: not provisioned by Service Catalog`
          : `tag read from ${source}: not one of the approved products`,
        approvedProducts: approved,
      },
    }];
  },
};
