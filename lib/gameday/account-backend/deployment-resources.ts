/**
 * The deployment's own resources a game day needs in the security account: the alert topic
 * (encrypted with a key of its own, as the stack does), a queue subscribed to it to read the alerts
 * back (SNS has no read API), the kept-events queue, the state table and the HMAC key that seals
 * pre-quarantine records. Each is read back: what the account did not do becomes a finding.
 */
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import type { KeySpec, KeyUsageType } from '@aws-sdk/client-kms';
import { CreateTopicCommand, GetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { DeploymentResources, KeptEvent, PublishedAlert, RehearsalFinding } from '../backend';
import type { BackendContext } from './context';
import type { FaultSpec } from '../sim/faults';
import type { EnvironmentDocument } from '../scenario';
import { errorCode } from './context';
import { EVENTBRIDGE_EVENT_LIMIT_BYTES } from '../../contracts/payload-size';

export interface CreatedDeployment {
  readonly resources: DeploymentResources;
  /** The queue subscribed to the alert topic. */
  readonly alertFeedUrl: string;
  readonly findings: readonly RehearsalFinding[];
}

/** The name ends of the two topics (`<prefix>-alerts`, `<prefix>-operations`): a fault may name one (faults[].topic). */
export const TOPIC_NAME_SUFFIX = { alert: '-alerts', backup: '-operations' } as const;

/** A fault's `when` for publishes to one of the two topics (faults[].topic). */
export function publishesToTopic(which: keyof typeof TOPIC_NAME_SUFFIX): (input: Readonly<Record<string, unknown>>) => boolean {
  return (input) => typeof input.TopicArn === 'string' && input.TopicArn.endsWith(TOPIC_NAME_SUFFIX[which]);
}

/** A scenario's fault as the simulated account (or the endpoint's clients) applies it. */
export function faultSpecOf(fault: EnvironmentDocument['faults'][number]): FaultSpec {
  return {
    api: fault.api,
    error: fault.error,
    times: fault.times,
    ...(fault.message !== undefined ? { message: fault.message } : {}),
    ...(fault.topic !== undefined ? { when: publishesToTopic(fault.topic) } : {}),
    ...(fault.takesEffect ? { takesEffect: true } : {}),
  };
}

/** A topic encrypted with a key of its own, as the stack creates each channel; the key ARN only when the account kept it. */
async function createChannel(context: BackendContext, which: keyof typeof TOPIC_NAME_SUFFIX, findings: RehearsalFinding[]): Promise<{ topicArn: string; keyArn?: string }> {
  const { clients, prefix, created } = context;
  const label = which === 'alert' ? 'the alert topic' : 'the backup (operations) topic';
  const keyArn = await createKey(context, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', `${prefix}: encrypts ${label}`);
  const topic = await clients.sns().send(
    new CreateTopicCommand({ Name: `${prefix}${TOPIC_NAME_SUFFIX[which]}`, ...(keyArn ? { Attributes: { KmsMasterKeyId: keyArn } } : {}) }),
  );
  const topicArn = topic.TopicArn as string;
  created.push({ kind: 'topic', id: topicArn });
  const encrypted = keyArn ? (await clients.sns().send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.KmsMasterKeyId : undefined;
  if (keyArn && !encrypted) {
    findings.push({ kind: 'ignored parameter', message: `the account created ${label} without its KMS key (KmsMasterKeyId): publishing to it does not rehearse the key's permissions` });
  }
  return { topicArn, ...(encrypted ? { keyArn } : {}) };
}

export async function createDeployment(context: BackendContext): Promise<CreatedDeployment> {
  // The deployment's resources are the security account's, wherever the environment is.
  const { clients, prefix, created, securityAccount: account, region } = context;
  const findings: RehearsalFinding[] = [];
  const { topicArn: alertTopicArn, keyArn: alertKeyArn } = await createChannel(context, 'alert', findings);
  // The second, independent channel publish-alert copies Critical incidents and alerting failures to.
  const { topicArn: backupTopicArn, keyArn: backupKeyArn } = await createChannel(context, 'backup', findings);
  const kept = await clients.sqs().send(new CreateQueueCommand({ QueueName: `${prefix}-unprocessable-events` }));
  const unprocessableEventsQueueUrl = kept.QueueUrl as string;
  created.push({ kind: 'queue', id: unprocessableEventsQueueUrl });
  // EventBridge's dead-letter queue of every rule target (and the intake's), as large as an event may be.
  const undelivered = await clients.sqs().send(new CreateQueueCommand({ QueueName: `${prefix}-undelivered-events`, Attributes: { MaximumMessageSize: String(EVENTBRIDGE_EVENT_LIMIT_BYTES) } }));
  const undeliveredEventsQueueUrl = undelivered.QueueUrl as string;
  created.push({ kind: 'queue', id: undeliveredEventsQueueUrl });
  // The queue policy lets the topic deliver (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
  const feedName = `${prefix}-alert-feed`;
  const feedArn = `arn:aws:sqs:${region}:${account}:${feedName}`;
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: feedArn, Condition: { ArnEquals: { 'aws:SourceArn': alertTopicArn } } },
    ],
  });
  const feed = await clients.sqs().send(new CreateQueueCommand({ QueueName: feedName, Attributes: { Policy: policy } }));
  const alertFeedUrl = feed.QueueUrl as string;
  created.push({ kind: 'queue', id: alertFeedUrl });
  const attributes = await clients.sqs().send(new GetQueueAttributesCommand({ QueueUrl: alertFeedUrl, AttributeNames: ['QueueArn'] }));
  await clients.sns().send(
    new SubscribeCommand({
      TopicArn: alertTopicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn ?? feedArn,
      Attributes: { RawMessageDelivery: 'false' },
      ReturnSubscriptionArn: true,
    }),
  );
  const stateTableName = `${prefix}-state`;
  await clients.dynamodb().send(
    new CreateTableCommand({
      TableName: stateTableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  created.push({ kind: 'table', id: stateTableName });
  await context.waitFor(`table ${stateTableName} to be ACTIVE`, async () => {
    const table = await clients.dynamodb().send(new DescribeTableCommand({ TableName: stateTableName }));
    return table.Table?.TableStatus === 'ACTIVE' ? true : undefined;
  });
  // An account without KMS HMAC keys (an old LocalStack or moto) still runs the game day:
  // quarantine then saves unsealed records, release refuses them, and the report says why.
  const recordKeyArn = await createKey(context, 'HMAC_256', 'GENERATE_VERIFY_MAC', `${prefix}: seals pre-quarantine records`);
  return {
    resources: {
      account,
      region,
      alertTopicArn,
      backupTopicArn,
      unprocessableEventsQueueUrl,
      undeliveredEventsQueueUrl,
      stateTableName,
      recordKeyArn,
      ...(alertKeyArn ? { alertKeyArn } : {}),
      ...(backupKeyArn ? { backupKeyArn } : {}),
    },
    alertFeedUrl,
    findings,
  };
}

/** A KMS key, or '' (reported) when the account cannot create one of this spec. */
async function createKey(context: BackendContext, keySpec: KeySpec, keyUsage: KeyUsageType, description: string): Promise<string> {
  try {
    const key = await context.clients.kms().send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage, Description: description }));
    const arn = key.KeyMetadata?.Arn ?? '';
    if (arn) context.created.push({ kind: 'key', id: arn });
    return arn;
  } catch (error) {
    context.report(
      keySpec === 'HMAC_256'
        ? `the account could not create a KMS HMAC key (${errorCode(error)}): quarantine records stay unsealed and release refuses them`
        : `the account could not create a KMS key (${description}: ${errorCode(error)}): the topic is not encrypted`,
    );
    return '';
  }
}

/** Every message of a queue not read yet, oldest first; each is deleted once read. */
export async function drain(context: BackendContext, queueUrl: string): Promise<{ body: string; sentAt?: Date; attributes?: Record<string, string> }[]> {
  const sqs = context.clients.sqs();
  const out: { body: string; sentAt?: Date; attributes?: Record<string, string> }[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 43_200, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['SentTimestamp'], MessageAttributeNames: ['All'] }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0) return out;
    for (const message of messages) {
      const sent = message.Attributes?.SentTimestamp;
      const attributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).flatMap(([name, value]) => (value.StringValue !== undefined ? [[name, value.StringValue]] : [])));
      out.push({ body: message.Body ?? '', ...(sent !== undefined ? { sentAt: new Date(Number(sent)) } : {}), ...(Object.keys(attributes).length > 0 ? { attributes } : {}) });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle as string })) }),
    );
  }
}

/** An alert as the feed queue holds it: SNS's JSON envelope (RawMessageDelivery false). */
export function alertOf(body: string, sentAt: Date | undefined): PublishedAlert {
  try {
    const envelope = JSON.parse(body) as {
      Subject?: string | null;
      Message?: string;
      Timestamp?: string;
      MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
    };
    return {
      ...(envelope.Subject !== undefined && envelope.Subject !== null ? { subject: envelope.Subject } : {}),
      message: envelope.Message ?? body,
      attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([name, attribute]) => [name, attribute.Value ?? ''])),
      at: envelope.Timestamp ? new Date(envelope.Timestamp) : (sentAt ?? new Date()),
    };
  } catch {
    return { message: body, attributes: {}, at: sentAt ?? new Date() };
  }
}

export function keptEventOf(message: { body: string; sentAt?: Date; attributes?: Record<string, string> }, now: Date): KeptEvent {
  return { body: message.body, at: message.sentAt ?? now, ...(message.attributes !== undefined ? { attributes: message.attributes } : {}) };
}
