/**
 * A queue where events wait for a person instead of being lost: SSE, 14 days' retention, retained
 * with the stack, TLS required by its policy, and an alarm on both channels for every event kept (row 8h).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlertChannels } from './alerting';
import { FIREBREAK_DEFAULTS } from './defaults';
import { groupsOnly } from './logical-ids';

export interface KeptEventsQueueProps {
  /** What the queue holds, for the acknowledgment of its missing dead-letter queue. */
  readonly purpose: string;
  /** What a waiting event means, for the alarm's description. */
  readonly alarmWhat: string;
  /** Where the alarm goes. */
  readonly channels: AlertChannels;
  /**
   * The largest message the queue accepts, in bytes.
   * @default SQS's default
   */
  readonly maxMessageSizeBytes?: number;
}

/**
 * The queue (`<id>EventsQueue`) and its alarm (`<id>EventsAlarm`); groups only, so both keep the
 * logical ids of the flat stack (`UndeliveredEventsQueue`, `UnprocessableEventsAlarm`…).
 */
export class KeptEventsQueue extends Construct {
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: KeptEventsQueueProps) {
    super(scope, id);
    groupsOnly(this);
    const queueId = `${id}EventsQueue`;
    this.queue = new sqs.Queue(this, queueId, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: FIREBREAK_DEFAULTS.queueRetention,
      ...(props.maxMessageSizeBytes !== undefined ? { maxMessageSizeBytes: props.maxMessageSizeBytes } : {}),
      // The events kept here are the incident record of what was not handled: never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // enforceSSL would deny `sqs:*`; the same deny with every SQS action named keeps the stack free of wildcard actions.
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyRequestsWithoutTls',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...SQS_QUEUE_ACTIONS],
        resources: [this.queue.queueArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the last stop (${props.purpose}); a dead-letter queue behind it would only move the problem. Its depth is alarmed to the alert and operations topics.`,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS4',
      reason:
        'The queue policy denies every SQS action on this queue without TLS (statement DenyRequestsWithoutTls, aws:SecureTransport false); ' +
        'the actions are named instead of sqs:* so that no statement of the stack has a wildcard action, which the rule does not recognise.',
    });
    props.channels.alarmOnWaitingMessages(this, `${id}EventsAlarm`, this.queue, props.alarmWhat, queueId);
  }
}

/** Every SQS action that applies to a queue (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html). */
const SQS_QUEUE_ACTIONS = [
  'sqs:AddPermission',
  'sqs:CancelMessageMoveTask',
  'sqs:ChangeMessageVisibility',
  'sqs:CreateQueue',
  'sqs:DeleteMessage',
  'sqs:DeleteQueue',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ListDeadLetterSourceQueues',
  'sqs:ListMessageMoveTasks',
  'sqs:ListQueueTags',
  'sqs:PurgeQueue',
  'sqs:ReceiveMessage',
  'sqs:RemovePermission',
  'sqs:SendMessage',
  'sqs:SetQueueAttributes',
  'sqs:StartMessageMoveTask',
  'sqs:TagQueue',
  'sqs:UntagQueue',
] as const;
