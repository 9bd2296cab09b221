/**
 * Firebreak's two alert channels and the policies that keep them on:
 *
 * - the alert topic (incidents, approval requests, failures), encrypted with the alert key;
 * - the operations topic, a second channel for alarms (failed or timed-out executions, responder
 *   errors, events waiting in a queue), encrypted with a key of its own, so that disabling one key,
 *   or breaking one topic, does not silence both.
 *
 * Each key's policy denies kms:DisableKey, kms:ScheduleKeyDeletion and kms:PutKeyPolicy to every
 * principal but the configured key administrators (the account's root user by default), and
 * kms:PutKeyPolicy also to every principal but those and the CloudFormation deployment: one call by
 * an ordinary administrator cannot switch alerting off. Each topic's policy lets only the stack's
 * own publishers publish (and CloudWatch alarms of this account), and only the deployment and the
 * configured subscribers subscribe. docs/security.md explains why each statement is lockout-safe.
 *
 * The resources are created directly in the stack (not under a construct of their own) so that the
 * logical ids of the alert key and topic stay what earlier versions deployed.
 */
import { Aws, DefaultStackSynthesizer, Fn, Lazy, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';

/** The key actions that end a key's usefulness in one call: what only key administrators may do. */
export const KEY_SWITCH_OFF_ACTIONS = ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'] as const;

/**
 * What the account principal may do with a Firebreak key: administration and the cryptographic
 * operations IAM policies then grant (delegation to IAM). Listed, never `kms:*`.
 */
const ACCOUNT_KEY_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:Decrypt',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** CloudWatch alarms publish as the service; this is what they need of a topic and its key. */
const CLOUDWATCH = 'cloudwatch.amazonaws.com';

export interface AlertChannelsProps {
  /** Subscribed to the alert topic. */
  readonly alertEmails: readonly string[];
  /** Subscribed to the operations topic. */
  readonly operationsEmails: readonly string[];
  /** Principals (IAM ARN patterns) allowed to sns:Subscribe besides the deployment. */
  readonly subscriberArns: readonly string[];
  /** Principals (IAM ARN patterns) allowed to disable, delete or rewrite the keys. */
  readonly keyAdminArns: readonly string[];
  /** The principals CloudFormation deploys as (the CDK execution role): they create the keys and subscriptions. */
  readonly deploymentPrincipalArns: readonly string[];
}

/** The alert and operations channels of a stack. */
export interface AlertChannels {
  readonly alertKey: kms.Key;
  readonly alertTopic: sns.Topic;
  readonly operationsKey: kms.Key;
  readonly operationsTopic: sns.Topic;
  /** Lets `role` publish to the alert topic (every other principal is denied, CloudWatch alarms aside). */
  allowAlertPublisher(role: iam.IRole): void;
  /** Lets `role` publish to the operations topic (every other principal is denied, CloudWatch alarms aside). */
  allowOperationsPublisher(role: iam.IRole): void;
  /** Sends `alarm` to both channels: a disabled key or a broken topic silences at most one. */
  alarmToBothChannels(alarm: cloudwatch.Alarm): void;
}

/**
 * The principals CloudFormation deploys this stack as: the CDK bootstrap's CloudFormation execution
 * role of the stack's synthesizer, or undefined when the synthesizer has none (then the
 * `deploymentPrincipalArns` prop must name them).
 */
export function defaultDeploymentPrincipalArns(stack: Stack): string[] | undefined {
  const synthesizer = stack.synthesizer;
  if (!(synthesizer instanceof DefaultStackSynthesizer)) return undefined;
  // `${AWS::AccountId}`-style placeholders when the stack is environment-agnostic.
  return [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)];
}

/** The root user of the stack's account, the default key administrator. */
export function accountRootArn(): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`;
}

/**
 * A Firebreak key policy. The account statement delegates to IAM as AWS's default key policy does
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam),
 * with the actions listed. Two explicit denies then narrow what IAM may grant:
 *
 * - kms:DisableKey and kms:ScheduleKeyDeletion for every principal but `keyAdminArns`;
 * - kms:PutKeyPolicy for every principal but `keyAdminArns` and the deployment principals.
 *
 * Lockout-safe: the key administrators are never denied anything, and the account statement allows
 * them everything, so they can always rewrite this policy; the deployment principals can always put
 * the policy CloudFormation deploys, which is also what KMS's policy lockout safety check requires
 * of the principal creating the key (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check).
 * CloudWatch alarms of this account may use the key to publish to the topic it encrypts.
 */
export function firebreakKeyPolicy(props: {
  readonly keyAdminArns: readonly string[];
  readonly deploymentPrincipalArns: readonly string[];
}): iam.PolicyDocument {
  const adminsOnly = [...new Set(props.keyAdminArns)];
  const adminsOrDeployment = [...new Set([...props.keyAdminArns, ...props.deploymentPrincipalArns])];
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersAndDelegatesToIam',
        principals: [new iam.AccountRootPrincipal()],
        actions: ACCOUNT_KEY_ACTIONS,
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'OnlyKeyAdminsDisableOrDeleteTheKey',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': adminsOnly } },
      }),
      new iam.PolicyStatement({
        sid: 'OnlyKeyAdminsAndTheDeploymentRewriteThePolicy',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:PutKeyPolicy'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': adminsOrDeployment } },
      }),
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [new iam.ServicePrincipal(CLOUDWATCH)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    ],
  });
}

/**
 * Restricts a topic to its own: only `publishers` (role ARNs, resolved late so responders created
 * after the topic can be added) and CloudWatch alarms of this account publish; only the deployment
 * and `subscribers` subscribe. Each is an explicit Deny with `aws:PrincipalArn`, which applies to
 * principals of this account too, whatever their IAM policies say.
 */
function restrictTopic(topic: sns.Topic, publishers: string[], subscribers: readonly string[]): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccountPublish',
      principals: [new iam.ServicePrincipal(CLOUDWATCH)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyFirebreakPublishes',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      // Both must hold for the deny: a principal that is not a listed publisher AND not CloudWatch
      // (a service principal has no aws:PrincipalArn, so the first holds for it). A condition needs
      // at least one value: with no publisher role yet, the account's root user stands in (it may
      // rewrite this policy anyway).
      conditions: {
        ArnNotEquals: {
          'aws:PrincipalArn': Lazy.list({ produce: () => (publishers.length > 0 ? [...new Set(publishers)] : [accountRootArn()]) }),
        },
        StringNotEquals: { 'aws:PrincipalServiceName': CLOUDWATCH },
      },
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyTheDeploymentAndNamedPrincipalsSubscribe',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sns:Subscribe'],
      resources: [topic.topicArn],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': [...new Set(subscribers)] } },
    }),
  );
}

/** Creates the alert and operations channels in `stack`. */
export function createAlertChannels(stack: Stack, props: AlertChannelsProps): AlertChannels {
  if (props.deploymentPrincipalArns.length === 0) {
    throw new Error('FirebreakStack: no deployment principal is known (the stack synthesizer has no CloudFormation execution role); set deploymentPrincipalArns');
  }
  if (props.keyAdminArns.length === 0) {
    throw new Error('FirebreakStack: keyAdminArns is empty; name at least one key administrator (the default is the account root user)');
  }
  const keyPolicy = () => firebreakKeyPolicy(props);
  const subscribers = [...props.deploymentPrincipalArns, ...props.subscriberArns];

  // A customer-managed key, so that who can read alerts is decided in IAM/KMS.
  const alertKey = new kms.Key(stack, 'AlertKey', {
    description: 'Firebreak: encrypts the alert topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: keyPolicy(),
  });
  const alertTopic = new sns.Topic(stack, 'AlertTopic', {
    displayName: 'Firebreak alerts',
    masterKey: alertKey,
    enforceSSL: true,
  });
  // A key of its own: disabling the alert key must not silence the alarms about it.
  const operationsKey = new kms.Key(stack, 'OperationsKey', {
    description: 'Firebreak: encrypts the operations topic (the second alert channel)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: keyPolicy(),
  });
  const operationsTopic = new sns.Topic(stack, 'OperationsTopic', {
    displayName: 'Firebreak operations',
    masterKey: operationsKey,
    enforceSSL: true,
  });

  const alertPublishers: string[] = [];
  const operationsPublishers: string[] = [];
  restrictTopic(alertTopic, alertPublishers, subscribers);
  restrictTopic(operationsTopic, operationsPublishers, subscribers);

  for (const email of props.alertEmails) alertTopic.addSubscription(new subscriptions.EmailSubscription(email));
  for (const email of props.operationsEmails) operationsTopic.addSubscription(new subscriptions.EmailSubscription(email));

  return {
    alertKey,
    alertTopic,
    operationsKey,
    operationsTopic,
    allowAlertPublisher: (role) => alertPublishers.push(role.roleArn),
    allowOperationsPublisher: (role) => operationsPublishers.push(role.roleArn),
    alarmToBothChannels: (alarm) => {
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(alertTopic), new cloudwatchActions.SnsAction(operationsTopic));
    },
  };
}
