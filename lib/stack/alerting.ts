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
 * `AlertChannels` also pages on both channels: `alarmOnExecutions`, `alarmOnErrors` and
 * `alarmOnWaitingMessages` are the stack's three kinds of alarm.
 */
import { Aws, DefaultStackSynthesizer, Duration, Fn, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { groupsOnly } from './logical-ids';

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
  const denyAllBut = (sid: string, action: string, conditions: Record<string, unknown>) =>
    topic.addToResourcePolicy(
      new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: [action], resources: [topic.topicArn], conditions }),
    );
  // Both must hold for the deny: a principal that is not a listed publisher AND not CloudWatch
  // (a service principal has no aws:PrincipalArn, so the first holds for it). A condition needs
  // at least one value: with no publisher role yet, the account's root user stands in (it may
  // rewrite this policy anyway).
  denyAllBut('OnlyFirebreakPublishes', 'sns:Publish', {
    ArnNotEquals: {
      'aws:PrincipalArn': Lazy.list({ produce: () => (publishers.length > 0 ? [...new Set(publishers)] : [accountRootArn()]) }),
    },
    StringNotEquals: { 'aws:PrincipalServiceName': CLOUDWATCH },
  });
  denyAllBut('OnlyTheDeploymentAndNamedPrincipalsSubscribe', 'sns:Subscribe', { ArnNotLike: { 'aws:PrincipalArn': [...new Set(subscribers)] } });
}

/** A one-minute sum: one failure is enough to page. */
const EVERY_MINUTE = { period: Duration.minutes(1), statistic: 'Sum' } as const;

export interface AlertChannelsProps {
  /** Subscribed to the alert topic (each address confirms its subscription). */
  readonly alertEmails: readonly string[];
  /** Subscribed to the operations topic. */
  readonly operationsEmails: readonly string[];
  /** Principals (IAM ARN patterns) allowed to sns:Subscribe besides the deployment. */
  readonly subscriberArns: readonly string[];
  /** Principals (IAM ARN patterns) allowed to disable, delete or rewrite the keys; at least one. */
  readonly keyAdminArns: readonly string[];
  /**
   * The principals CloudFormation deploys as (the CDK execution role): they create the keys and subscriptions.
   * @default the stack synthesizer's CloudFormation execution role (`defaultDeploymentPrincipalArns`)
   */
  readonly deploymentPrincipalArns?: readonly string[];
}

/**
 * The alert and operations channels (a topic and a key each), who may publish to them, and the
 * alarms that page on both. Groups only: its resources keep the logical ids of the flat stack.
 */
export class AlertChannels extends Construct {
  public readonly alertKey: kms.Key;
  public readonly alertTopic: sns.Topic;
  /** The second channel: every alarm goes here too, encrypted with a key of its own. */
  public readonly operationsKey: kms.Key;
  public readonly operationsTopic: sns.Topic;
  private readonly alertPublishers: string[] = [];
  private readonly operationsPublishers: string[] = [];

  constructor(scope: Construct, id: string, props: AlertChannelsProps) {
    super(scope, id);
    groupsOnly(this);
    const deploymentPrincipalArns = props.deploymentPrincipalArns ?? defaultDeploymentPrincipalArns(Stack.of(this)) ?? [];
    if (deploymentPrincipalArns.length === 0) {
      throw new Error('Firebreak: no deployment principal is known (the stack synthesizer has no CloudFormation execution role); set deploymentPrincipalArns');
    }
    if (props.keyAdminArns.length === 0) {
      throw new Error('Firebreak: keyAdminArns is empty; name at least one key administrator (the default is the account root user)');
    }
    const subscribers = [...deploymentPrincipalArns, ...props.subscriberArns];
    const channel = (name: string, what: string, displayName: string, publishers: string[], emails: readonly string[]) => {
      // A customer-managed key, so that who can read alerts is decided in IAM/KMS.
      const key = new kms.Key(this, `${name}Key`, {
        description: `Firebreak: encrypts the ${what}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
        policy: firebreakKeyPolicy({ keyAdminArns: props.keyAdminArns, deploymentPrincipalArns }),
      });
      const topic = new sns.Topic(this, `${name}Topic`, { displayName, masterKey: key, enforceSSL: true });
      restrictTopic(topic, publishers, subscribers);
      for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
      return { key, topic };
    };
    ({ key: this.alertKey, topic: this.alertTopic } = channel('Alert', 'alert topic', 'Firebreak alerts', this.alertPublishers, props.alertEmails));
    // A key of its own: disabling the alert key must not silence the alarms about it.
    ({ key: this.operationsKey, topic: this.operationsTopic } = channel(
      'Operations',
      'operations topic (the second alert channel)',
      'Firebreak operations',
      this.operationsPublishers,
      props.operationsEmails,
    ));
  }

  /** Lets `role` publish to the alert topic (every other principal is denied, CloudWatch alarms aside). */
  allowAlertPublisher(role: iam.IRole): void {
    this.alertPublishers.push(role.roleArn);
  }

  /** Lets `role` publish to the operations topic (every other principal is denied, CloudWatch alarms aside). */
  allowOperationsPublisher(role: iam.IRole): void {
    this.operationsPublishers.push(role.roleArn);
  }

  /**
   * Makes the operations topic publish-alert's backup channel: `fn` may publish to it (and use its
   * key), and finds it in BACKUP_TOPIC_ARN. Every Critical incident, every failure and every alert
   * the alert topic refuses then reaches this second topic, under its own key.
   */
  useOperationsAsBackupFor(fn: lambda.Function, role: iam.IRole, environmentVariable: string): void {
    this.allowOperationsPublisher(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishToTheBackupChannel', actions: ['sns:Publish'], resources: [this.operationsTopic.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EncryptForTheBackupChannel', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.operationsKey.keyArn] }),
    );
    fn.addEnvironment(environmentVariable, this.operationsTopic.topicArn);
  }

  /** Sends `alarm` to both channels: a disabled key or a broken topic silences at most one. */
  alarmToBothChannels(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alertTopic), new cloudwatchActions.SnsAction(this.operationsTopic));
  }

  /** One alarm per way an execution of `machine` can end badly (failed, timed out, aborted), in `scope`. */
  alarmOnExecutions(scope: Construct, id: string, machine: sfn.StateMachine, what: string): void {
    const endings = [
      ['Failed', machine.metricFailed(EVERY_MINUTE), 'failed'],
      ['TimedOut', machine.metricTimedOut(EVERY_MINUTE), 'timed out'],
      ['Aborted', machine.metricAborted(EVERY_MINUTE), 'was aborted'],
    ] as const;
    for (const [ending, metric, said] of endings) {
      this.pageOn(scope, `${id}Executions${ending}Alarm`, metric,
        `An execution of Firebreak ${what} ${said}: an incident may be unhandled. Look at the execution history in the Step Functions console.`);
    }
  }

  /** Pages as soon as `fn` reports an error (an unhandled failure, a timeout, a throttle retry exhausted). */
  alarmOnErrors(scope: Construct, id: string, fn: lambda.IFunction, responder: string): void {
    this.pageOn(scope, id, fn.metricErrors(EVERY_MINUTE),
      `The Firebreak ${responder} responder reported an error: a step may have failed. Look at its log group and the playbook executions.`);
  }

  /**
   * Pages as soon as a message is kept in `queue` (`what` says how it got there), and again for each
   * later one. On the messages sent in each minute, not the queue's depth: an alarm acts only when its
   * state changes, and a message kept for its 14 days would hold a depth alarm in ALARM, so that every
   * event kept after it paged nobody (row 8h). EventBridge, Lambda and Step Functions all keep an
   * event with SendMessage, which this metric counts.
   */
  alarmOnWaitingMessages(scope: Construct, id: string, queue: sqs.IQueue, what: string, kept: string): void {
    this.pageOn(scope, id, queue.metricNumberOfMessagesSent({ period: Duration.minutes(1), statistic: 'Sum' }),
      `${what}; they are kept in ${kept} for up to 14 days.`);
  }

  /** An alarm in `scope` that pages both channels as soon as `metric` reaches 1. */
  pageOn(scope: Construct, id: string, metric: cloudwatch.IMetric, alarmDescription: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmDescription,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarmToBothChannels(alarm);
    return alarm;
  }
}
