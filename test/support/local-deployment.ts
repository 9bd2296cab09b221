/**
 * The game day's local deployment resources in the default account and Region, for tests that
 * resolve the synthesized deployment's policies (deployedPolicies) as the local game day does.
 */
import type { LocalDeploymentResources } from '../../lib/gameday/deployment';

export const LOCAL_DEPLOYMENT: LocalDeploymentResources = {
  account: '111122223333',
  region: 'eu-west-1',
  alertTopicArn: 'arn:aws:sns:eu-west-1:111122223333:firebreak-alerts',
  alertKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
  stateTableName: 'firebreak-state',
  unprocessableEventsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/firebreak-unprocessable-events',
};
