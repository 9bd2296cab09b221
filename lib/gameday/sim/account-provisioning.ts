/**
 * IAM, SNS, SQS and DynamoDB APIs that create and delete what a game day needs around the
 * instances (an instance profile and its role; the deployment's alert topic, kept-events queue and
 * state table) and the SQS reads that stand in for SNS's missing read API (an SQS queue subscribed
 * to the alert topic). The game-day backend (lib/gameday/account-backend) calls them for every
 * scenario, here as against an endpoint.
 *
 * SNS → SQS delivery is lazy: a subscribed queue receives the topic's messages published since the
 * subscription when it is next read (nothing else reads a queue in the simulator, so this is
 * indistinguishable from SNS pushing them).
 */
import { createHash } from 'node:crypto';
import type {
  AddRoleToInstanceProfileCommandInput,
  CreateInstanceProfileCommandInput,
  CreateRoleCommandInput,
  TagRoleCommandInput,
  DeleteInstanceProfileCommandInput,
  DeleteRoleCommandInput,
  RemoveRoleFromInstanceProfileCommandInput,
} from '@aws-sdk/client-iam';
import type {
  CreateTopicCommandInput,
  DeleteTopicCommandInput,
  GetTopicAttributesCommandInput,
  SubscribeCommandInput,
  UnsubscribeCommandInput,
} from '@aws-sdk/client-sns';
import type {
  CreateQueueCommandInput,
  DeleteMessageBatchCommandInput,
  DeleteQueueCommandInput,
  GetQueueAttributesCommandInput,
  ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { CreateTableCommandInput, DeleteTableCommandInput } from '@aws-sdk/client-dynamodb';
import { EnvironmentBuilder } from './builder';
import { tagRecord } from '../../aws/describe-instance';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import { messageForProtocol } from './messaging';
import type { KeyAttribute, QueueRecord, QueuedMessage, TableRecord } from './model';
import type { SimWorld } from './world';
import type { PolicyDocument } from './iam-policy';

// ---- IAM ---------------------------------------------------------------------------------------

function iamError(code: string, message: string, status: number): SimulatedServiceError {
  return new SimulatedServiceError(code, message, status);
}

/**
 * The trust policy CreateRole received: JSON (URL-encoded or not) with a Statement, else
 * MalformedPolicyDocument as IAM answers it. Its principals and conditions are what AssumeRole evaluates.
 */
function parsedTrustPolicy(document: string | undefined): PolicyDocument {
  if (document === undefined) {
    throw iamError('ValidationError', "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null", 400);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.trimStart().startsWith('%') ? decodeURIComponent(document) : document);
  } catch (error) {
    throw new SimulatedServiceError('MalformedPolicyDocument', 'This policy contains invalid Json', 400, { cause: error });
  }
  const statement = (parsed as { Statement?: unknown } | null)?.Statement;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof statement !== 'object' || statement === null) {
    throw new SimulatedServiceError('MalformedPolicyDocument', 'Syntax errors in policy.', 400);
  }
  return parsed as PolicyDocument;
}

function roleNamed(world: SimWorld, call: SimCall, name: string | undefined) {
  return [...world.roles.values()].find((role) => role.account === call.account && role.name === name);
}

function profileNamed(world: SimWorld, call: SimCall, name: string | undefined) {
  return [...world.instanceProfiles.values()].find((profile) => profile.account === call.account && profile.name === name);
}

export function iamProvisioningHandlers(world: SimWorld): Record<string, ApiHandler> {
  const builder = new EnvironmentBuilder(world);
  return {
    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (EntityAlreadyExists 409). */
    CreateRole(call) {
      const input = inputOf<CreateRoleCommandInput>(call);
      if (!input.RoleName) throw iamError('ValidationError', "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null", 400);
      if (roleNamed(world, call, input.RoleName)) throw iamError('EntityAlreadyExists', `Role with name ${input.RoleName} already exists.`, 409);
      const role = builder.addRole({
        account: call.account,
        name: input.RoleName,
        ...(input.Path !== undefined ? { path: input.Path } : {}),
        trustPolicy: parsedTrustPolicy(input.AssumeRolePolicyDocument),
      });
      if (input.Tags !== undefined) role.tags = tagRecord(input.Tags);
      return { Role: { Arn: role.arn, CreateDate: new Date(role.createDate), Path: role.path, RoleId: role.id, RoleName: role.name } };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html: a tag of the key already there is overwritten (NoSuchEntity 404). */
    TagRole(call) {
      const input = inputOf<TagRoleCommandInput>(call);
      const role = roleNamed(world, call, input.RoleName);
      if (!role) throw iamError('NoSuchEntity', `The role with name ${String(input.RoleName)} cannot be found.`, 404);
      role.tags = { ...role.tags, ...tagRecord(input.Tags) };
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html: no instance profile and no inline policy may hold it (DeleteConflict 409). */
    DeleteRole(call) {
      const input = inputOf<DeleteRoleCommandInput>(call);
      const role = roleNamed(world, call, input.RoleName);
      if (!role) throw iamError('NoSuchEntity', `The role with name ${String(input.RoleName)} cannot be found.`, 404);
      if ([...world.instanceProfiles.values()].some((p) => p.account === role.account && p.roleNames.includes(role.name))) {
        throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
      }
      if (role.inlinePolicies.size > 0) throw iamError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
      world.roles.delete(role.arn);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html */
    CreateInstanceProfile(call) {
      const input = inputOf<CreateInstanceProfileCommandInput>(call);
      if (profileNamed(world, call, input.InstanceProfileName)) {
        throw iamError('EntityAlreadyExists', `Instance Profile ${String(input.InstanceProfileName)} already exists.`, 409);
      }
      const path = input.Path ?? '/';
      const profile = {
        account: call.account,
        name: String(input.InstanceProfileName),
        id: `AIPA${world.ids.upperAlnum(17)}`,
        arn: `arn:aws:iam::${call.account}:instance-profile${path}${String(input.InstanceProfileName)}`,
        path,
        roleNames: [] as string[],
        createDate: world.now(),
      };
      world.instanceProfiles.set(profile.arn, profile);
      return {
        InstanceProfile: {
          Arn: profile.arn,
          CreateDate: new Date(profile.createDate),
          InstanceProfileId: profile.id,
          InstanceProfileName: profile.name,
          Path: path,
          Roles: [],
        },
      };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html: one role per profile (LimitExceeded). */
    AddRoleToInstanceProfile(call) {
      const input = inputOf<AddRoleToInstanceProfileCommandInput>(call);
      const profile = profileNamed(world, call, input.InstanceProfileName);
      if (!profile) throw iamError('NoSuchEntity', `Instance Profile ${String(input.InstanceProfileName)} cannot be found.`, 404);
      if (!roleNamed(world, call, input.RoleName)) throw iamError('NoSuchEntity', `The role with name ${String(input.RoleName)} cannot be found.`, 404);
      if (profile.roleNames.length > 0) throw iamError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
      profile.roleNames.push(String(input.RoleName));
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveRoleFromInstanceProfile.html */
    RemoveRoleFromInstanceProfile(call) {
      const input = inputOf<RemoveRoleFromInstanceProfileCommandInput>(call);
      const profile = profileNamed(world, call, input.InstanceProfileName);
      if (!profile || !profile.roleNames.includes(String(input.RoleName))) {
        throw iamError('NoSuchEntity', `The role with name ${String(input.RoleName)} cannot be found in instance profile ${String(input.InstanceProfileName)}.`, 404);
      }
      profile.roleNames = profile.roleNames.filter((name) => name !== input.RoleName);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteInstanceProfile.html: its role must be removed first (DeleteConflict 409). */
    DeleteInstanceProfile(call) {
      const input = inputOf<DeleteInstanceProfileCommandInput>(call);
      const profile = profileNamed(world, call, input.InstanceProfileName);
      if (!profile) throw iamError('NoSuchEntity', `Instance Profile ${String(input.InstanceProfileName)} cannot be found.`, 404);
      if (profile.roleNames.length > 0) throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
      world.instanceProfiles.delete(profile.arn);
      return {};
    },
  };
}

// ---- SNS and SQS -------------------------------------------------------------------------------

interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly queueArn: string;
  readonly raw: boolean;
  /** How many of the topic's messages this subscription has delivered. */
  delivered: number;
}

const subscriptionsByWorld = new WeakMap<SimWorld, Subscription[]>();
const inFlightByQueue = new WeakMap<QueueRecord, Map<string, number>>();

function subscriptionsOf(world: SimWorld): Subscription[] {
  let list = subscriptionsByWorld.get(world);
  if (!list) {
    list = [];
    subscriptionsByWorld.set(world, list);
  }
  return list;
}

function topicNotFound(): SimulatedServiceError {
  return new SimulatedServiceError('NotFound', 'Topic does not exist', 404);
}

function queueDoesNotExist(): SimulatedServiceError {
  return new SimulatedServiceError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
}

function requireQueue(world: SimWorld, call: SimCall, url: string | undefined): QueueRecord {
  const queue = world.queues.get(url ?? '');
  if (!queue || queue.account !== call.account || queue.region !== call.region) throw queueDoesNotExist();
  return queue;
}

/**
 * Hands the queue the topic messages its subscriptions have not delivered yet, wrapped in SNS's
 * JSON envelope unless raw delivery is on
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html#http-notification-json).
 */
function deliverSubscriptions(world: SimWorld, queue: QueueRecord): void {
  for (const subscription of subscriptionsOf(world)) {
    if (subscription.queueArn !== queue.arn) continue;
    const topic = world.topics.get(subscription.topicArn);
    if (!topic) continue;
    for (const message of topic.messages.slice(subscription.delivered)) {
      const delivered = messageForProtocol(message, 'sqs');
      const body = subscription.raw
        ? delivered
        : JSON.stringify({
            Type: 'Notification',
            MessageId: message.messageId,
            TopicArn: topic.arn,
            ...(message.subject !== undefined ? { Subject: message.subject } : {}),
            Message: delivered,
            Timestamp: message.at.toISOString(),
            SignatureVersion: '1',
            Signature: '',
            SigningCertURL: '',
            UnsubscribeURL: '',
            ...(Object.keys(message.messageAttributes).length > 0
              ? {
                  MessageAttributes: Object.fromEntries(
                    Object.entries(message.messageAttributes).map(([name, attribute]) => [name, { Type: attribute.dataType, Value: attribute.value }]),
                  ),
                }
              : {}),
          });
      queue.messages.push({ messageId: world.ids.uuid(), queueUrl: queue.url, body, messageAttributes: {}, at: message.at });
    }
    subscription.delivered = topic.messages.length;
  }
}

export function messagingProvisioningHandlers(world: SimWorld): { sns: Record<string, ApiHandler>; sqs: Record<string, ApiHandler> } {
  const builder = new EnvironmentBuilder(world);
  const sns: Record<string, ApiHandler> = {
    /** https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: idempotent, answers the existing topic's ARN. */
    CreateTopic(call) {
      const input = inputOf<CreateTopicCommandInput>(call);
      if (!input.Name || !/^[A-Za-z0-9_-]{1,256}$/.test(input.Name)) {
        throw new SimulatedServiceError('InvalidParameter', 'Invalid parameter: Topic Name', 400);
      }
      const arn = `arn:aws:sns:${call.region}:${call.account}:${input.Name}`;
      const keyId = input.Attributes?.KmsMasterKeyId;
      const kmsKeyArn = keyId === undefined || keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${call.region}:${call.account}:key/${keyId}`;
      if (kmsKeyArn !== undefined && !world.kmsKeys.has(kmsKeyArn)) {
        throw new SimulatedServiceError('InvalidParameter', 'Invalid parameter: KmsMasterKeyId', 400);
      }
      if (!world.topics.has(arn)) builder.addTopic({ name: input.Name, account: call.account, region: call.region, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) });
      return { TopicArn: arn };
    },

    /** https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html (TopicArn, Owner, KmsMasterKeyId when encrypted). */
    GetTopicAttributes(call) {
      const input = inputOf<GetTopicAttributesCommandInput>(call);
      const topic = world.topics.get(input.TopicArn ?? '');
      if (!topic || topic.account !== call.account || topic.region !== call.region) throw topicNotFound();
      return { Attributes: { TopicArn: topic.arn, Owner: topic.account, ...(topic.kmsKeyArn !== undefined ? { KmsMasterKeyId: topic.kmsKeyArn } : {}) } };
    },

    /** https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html: its subscriptions go with it; deleting a missing topic succeeds. */
    DeleteTopic(call) {
      const input = inputOf<DeleteTopicCommandInput>(call);
      const topic = world.topics.get(input.TopicArn ?? '');
      if (topic && topic.account === call.account && topic.region === call.region) world.topics.delete(topic.arn);
      const list = subscriptionsOf(world);
      for (let index = list.length - 1; index >= 0; index -= 1) if (list[index]?.topicArn === input.TopicArn) list.splice(index, 1);
      return {};
    },

    /** https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html (protocol sqs only here; RawMessageDelivery attribute honoured). */
    Subscribe(call) {
      const input = inputOf<SubscribeCommandInput>(call);
      const topic = world.topics.get(input.TopicArn ?? '');
      if (!topic || topic.account !== call.account || topic.region !== call.region) throw topicNotFound();
      if (input.Protocol !== 'sqs') throw new SimulatedServiceError('InvalidParameter', 'Invalid parameter: the simulated account subscribes sqs endpoints only', 400);
      const queue = [...world.queues.values()].find((q) => q.arn === input.Endpoint);
      if (!queue) throw new SimulatedServiceError('InvalidParameter', 'Invalid parameter: SQS endpoint ARN', 400);
      const subscription: Subscription = {
        arn: `${topic.arn}:${world.ids.uuid()}`,
        topicArn: topic.arn,
        queueArn: queue.arn,
        raw: input.Attributes?.RawMessageDelivery === 'true',
        delivered: topic.messages.length,
      };
      subscriptionsOf(world).push(subscription);
      return { SubscriptionArn: subscription.arn };
    },

    /** https://docs.aws.amazon.com/sns/latest/api/API_Unsubscribe.html */
    Unsubscribe(call) {
      const input = inputOf<UnsubscribeCommandInput>(call);
      const list = subscriptionsOf(world);
      const index = list.findIndex((s) => s.arn === input.SubscriptionArn);
      if (index < 0) throw new SimulatedServiceError('NotFound', 'Subscription does not exist', 404);
      list.splice(index, 1);
      return {};
    },
  };

  const sqs: Record<string, ApiHandler> = {
    /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html: idempotent for an existing name. */
    CreateQueue(call) {
      const input = inputOf<CreateQueueCommandInput>(call);
      if (!input.QueueName || !/^[A-Za-z0-9_-]{1,80}$/.test(input.QueueName)) {
        throw new SimulatedServiceError('InvalidParameterValue', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length', 400);
      }
      const url = `https://sqs.${call.region}.amazonaws.com/${call.account}/${input.QueueName}`;
      if (!world.queues.has(url)) builder.addQueue({ name: input.QueueName, account: call.account, region: call.region });
      return { QueueUrl: url };
    },

    /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html */
    DeleteQueue(call) {
      const input = inputOf<DeleteQueueCommandInput>(call);
      const queue = requireQueue(world, call, input.QueueUrl);
      world.queues.delete(queue.url);
      return {};
    },

    /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html (QueueArn and message counts). */
    GetQueueAttributes(call) {
      const input = inputOf<GetQueueAttributesCommandInput>(call);
      const queue = requireQueue(world, call, input.QueueUrl);
      const all: Record<string, string> = { QueueArn: queue.arn, ApproximateNumberOfMessages: String(queue.messages.length) };
      const wanted = input.AttributeNames ?? [];
      const Attributes = wanted.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name as never)));
      return { Attributes };
    },

    /**
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html:
     * up to MaxNumberOfMessages (1–10, default 1) visible messages, oldest first, each hidden for
     * VisibilityTimeout seconds (default 30) on the simulated clock; MD5OfBody as the SDK checks it.
     */
    ReceiveMessage(call) {
      const input = inputOf<ReceiveMessageCommandInput>(call);
      const queue = requireQueue(world, call, input.QueueUrl);
      const max = input.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 10) {
        throw new SimulatedServiceError('InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`, 400);
      }
      deliverSubscriptions(world, queue);
      let inFlight = inFlightByQueue.get(queue);
      if (!inFlight) {
        inFlight = new Map();
        inFlightByQueue.set(queue, inFlight);
      }
      const now = world.now();
      const hidden = inFlight;
      const visible = queue.messages.filter((message: QueuedMessage) => (hidden.get(message.messageId) ?? 0) <= now).slice(0, max);
      const timeout = (input.VisibilityTimeout ?? 30) * 1000;
      for (const message of visible) hidden.set(message.messageId, now + timeout);
      if (visible.length === 0) return {};
      const wanted = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])] as string[];
      const sentTimestamp = wanted.includes('All') || wanted.includes('SentTimestamp');
      // The message attributes asked for by name, or all of them (`All`).
      const names = (input.MessageAttributeNames ?? []) as string[];
      const attributesOf = (message: QueuedMessage) => {
        const chosen = Object.entries(message.messageAttributes ?? {}).filter(([name]) => names.includes('All') || names.includes(name));
        return chosen.length === 0 ? {} : { MessageAttributes: Object.fromEntries(chosen.map(([name, attribute]) => [name, { DataType: attribute.dataType, StringValue: attribute.value }])) };
      };
      return {
        Messages: visible.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: `${message.messageId}#${now}`,
          MD5OfBody: createHash('md5').update(message.body, 'utf8').digest('hex'),
          Body: message.body,
          ...(sentTimestamp ? { Attributes: { SentTimestamp: String(message.at.getTime()) } } : {}),
          ...attributesOf(message),
        })),
      };
    },

    /**
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html:
     * up to 10 entries with distinct ids; each deletes the message its receipt handle names (an
     * unknown handle fails that entry with ReceiptHandleIsInvalid, not the batch).
     */
    DeleteMessageBatch(call) {
      const input = inputOf<DeleteMessageBatchCommandInput>(call);
      const queue = requireQueue(world, call, input.QueueUrl);
      const entries = input.Entries ?? [];
      if (entries.length === 0) throw new SimulatedServiceError('EmptyBatchRequest', 'There should be at least one DeleteMessageBatchRequestEntry in the request.', 400);
      if (entries.length > 10) throw new SimulatedServiceError('TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.', 400);
      if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
        throw new SimulatedServiceError('BatchEntryIdsNotDistinct', 'Id in DeleteMessageBatchRequestEntry must be unique.', 400);
      }
      const Successful: { Id: string }[] = [];
      const Failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
      for (const entry of entries) {
        const messageId = String(entry.ReceiptHandle ?? '').split('#')[0];
        const index = queue.messages.findIndex((message) => message.messageId === messageId);
        if (index < 0) {
          Failed.push({ Id: String(entry.Id), Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'The input receipt handle is invalid.' });
          continue;
        }
        queue.messages.splice(index, 1);
        inFlightByQueue.get(queue)?.delete(messageId as string);
        Successful.push({ Id: String(entry.Id) });
      }
      return { Successful, Failed };
    },
  };
  return { sns, sqs };
}

// ---- DynamoDB ----------------------------------------------------------------------------------

function tableDescription(table: TableRecord, status: 'ACTIVE' | 'DELETING') {
  const key = (attribute: KeyAttribute, type: 'HASH' | 'RANGE') => ({ AttributeName: attribute.name, KeyType: type });
  return {
    TableName: table.name,
    TableArn: table.arn,
    TableStatus: status,
    CreationDateTime: new Date(table.createdAt),
    KeySchema: [key(table.partitionKey, 'HASH'), ...(table.sortKey ? [key(table.sortKey, 'RANGE')] : [])],
    AttributeDefinitions: [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])].map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    ItemCount: table.items.size,
  };
}

export function dynamodbProvisioningHandlers(world: SimWorld): Record<string, ApiHandler> {
  const builder = new EnvironmentBuilder(world);
  return {
    /**
     * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html: the key
     * schema's attributes must be defined (ValidationException); an existing name is
     * ResourceInUseException. The table is ACTIVE at once (AWS answers CREATING first).
     */
    CreateTable(call) {
      const input = inputOf<CreateTableCommandInput>(call);
      const name = input.TableName ?? '';
      const arn = `arn:aws:dynamodb:${call.region}:${call.account}:table/${name}`;
      if (world.tables.has(arn)) throw new SimulatedServiceError('ResourceInUseException', `Table already exists: ${name}`, 400);
      const attribute = (keyType: 'HASH' | 'RANGE'): KeyAttribute | undefined => {
        const keyName = input.KeySchema?.find((k) => k.KeyType === keyType)?.AttributeName;
        if (keyName === undefined) return undefined;
        const defined = input.AttributeDefinitions?.find((a) => a.AttributeName === keyName);
        if (!defined) throw new SimulatedServiceError('ValidationException', 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions.', 400);
        return { name: keyName, type: defined.AttributeType as KeyAttribute['type'] };
      };
      const partitionKey = attribute('HASH');
      if (!partitionKey) throw new SimulatedServiceError('ValidationException', 'One or more parameter values were invalid: Missing the key HASH in the key schema', 400);
      const sortKey = attribute('RANGE');
      builder.addTable({ name, account: call.account, region: call.region, partitionKey, ...(sortKey ? { sortKey } : {}) });
      return { TableDescription: tableDescription(world.tables.get(arn) as TableRecord, 'ACTIVE') };
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html */
    DeleteTable(call) {
      const input = inputOf<DeleteTableCommandInput>(call);
      const arn = `arn:aws:dynamodb:${call.region}:${call.account}:table/${input.TableName ?? ''}`;
      const table = world.tables.get(arn);
      if (!table) throw new SimulatedServiceError('ResourceNotFoundException', `Requested resource not found: Table: ${String(input.TableName)} not found`, 400);
      world.tables.delete(arn);
      return { TableDescription: tableDescription(table, 'DELETING') };
    },
  };
}
