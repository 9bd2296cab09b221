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
import { errorCode } from './context';

export interface CreatedDeployment {
  readonly resources: DeploymentResources;
  /** The queue subscribed to the alert topic. */
  readonly alertFeedUrl: string;
  readonly findings: readonly RehearsalFinding[];
}

export async function createDeployment(context: BackendContext): Promise<CreatedDeployment> {
  const { clients, prefix, created, account, region } = context;
  const findings: RehearsalFinding[] = [];
  const alertKeyArn = await createKey(context, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', `${prefix}: encrypts the alert topic`);
  const topic = await clients.sns().send(
    new CreateTopicCommand({ Name: `${prefix}-alerts`, ...(alertKeyArn ? { Attributes: { KmsMasterKeyId: alertKeyArn } } : {}) }),
  );
  const alertTopicArn = topic.TopicArn as string;
  created.push({ kind: 'topic', id: alertTopicArn });
  const encrypted = alertKeyArn
    ? (await clients.sns().send(new GetTopicAttributesCommand({ TopicArn: alertTopicArn }))).Attributes?.KmsMasterKeyId
    : undefined;
  if (alertKeyArn && !encrypted) {
    findings.push({ kind: 'ignored parameter', message: `the account created the alert topic without its KMS key (KmsMasterKeyId): publishing alerts does not rehearse the key's permissions` });
  }
  const kept = await clients.sqs().send(new CreateQueueCommand({ QueueName: `${prefix}-unprocessable-events` }));
  const unprocessableEventsQueueUrl = kept.QueueUrl as string;
  created.push({ kind: 'queue', id: unprocessableEventsQueueUrl });
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
      unprocessableEventsQueueUrl,
      stateTableName,
      recordKeyArn,
      ...(encrypted ? { alertKeyArn } : {}),
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
        : `the account could not create a KMS key for the alert topic (${errorCode(error)}): the topic is not encrypted`,
    );
    return '';
  }
}

/** Every message of a queue not read yet, oldest first; each is deleted once read. */
export async function drain(context: BackendContext, queueUrl: string): Promise<{ body: string; sentAt?: Date }[]> {
  const sqs = context.clients.sqs();
  const out: { body: string; sentAt?: Date }[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 43_200, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['SentTimestamp'] }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0) return out;
    for (const message of messages) {
      const sent = message.Attributes?.SentTimestamp;
      out.push({ body: message.Body ?? '', ...(sent !== undefined ? { sentAt: new Date(Number(sent)) } : {}) });
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

export function keptEventOf(message: { body: string; sentAt?: Date }, now: Date): KeptEvent {
  return { body: message.body, at: message.sentAt ?? now };
}
