/**
 * The services Firebreak talks to besides EC2 and IAM: SNS Publish (alerts), SQS SendMessage
 * (dead-letter queues), EventBridge PutEvents (game-day injection) and Step Functions task tokens
 * (approvals). Each keeps what it received so that a game day can check it.
 */
import { EVENTBRIDGE_EVENT_LIMIT_BYTES } from '../../contracts/payload-size';
import { createHash } from 'node:crypto';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { PutEventsCommandInput, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError, SimulatorUnsupportedApiError } from './errors';
import type { BusEvent, PublishedMessage, QueuedMessage } from './model';
import type { SimWorld } from './world';

// ---- SNS ---------------------------------------------------------------------------------------

/** SNS limits: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
export const SNS_MAX_SUBJECT_LENGTH = 100;
export const SNS_MAX_MESSAGE_ATTRIBUTES = 10;

function invalidParameter(message: string): SimulatedServiceError {
  return new SimulatedServiceError('InvalidParameter', `Invalid parameter: ${message}`, 400);
}

/**
 * "Subjects must be ASCII text that begins with a letter, number, or punctuation mark; must not
 * include line breaks or control characters; and must be less than 100 characters long."
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html)
 */
function checkSubject(subject: string): void {
  if (subject.length === 0 || subject.length > SNS_MAX_SUBJECT_LENGTH) throw invalidParameter('Subject');
  if (!/^[\x20-\x7e]+$/.test(subject) || subject.startsWith(' ')) throw invalidParameter('Subject');
}

/**
 * What a topic keeps of a published body when the account does not keep bodies
 * (`retainMessageBodies: false`): a note of its size, as a message of the same structure (a JSON
 * body stays JSON with its `default` entry), so that subscriptions still deliver it.
 */
function messageBodyNotKept(message: string, structure: PublishCommandInput['MessageStructure']): string {
  const note = `(body not kept: ${Buffer.byteLength(message, 'utf8')} bytes, retainMessageBodies is false)`;
  return structure === 'json' ? JSON.stringify({ default: note }) : note;
}

export function snsHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    Publish(call) {
      const input = inputOf<PublishCommandInput>(call);
      if (input.PhoneNumber !== undefined) throw new SimulatorUnsupportedApiError('sns:Publish (PhoneNumber)', 'PublishCommand');
      const arn = input.TopicArn ?? input.TargetArn;
      if (!arn) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
      const topic = world.topics.get(arn);
      if (!topic || topic.account !== call.account || topic.region !== call.region) {
        throw new SimulatedServiceError('NotFound', 'Topic does not exist', 404);
      }
      // SNS encrypts each message with a data key from the topic's KMS key on the publisher's behalf
      // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse).
      if (topic.kmsKeyArn !== undefined) {
        call.authorize('kms:GenerateDataKey', topic.kmsKeyArn);
        call.authorize('kms:Decrypt', topic.kmsKeyArn);
      }
      const message = input.Message ?? '';
      if (message === '') throw invalidParameter('Empty message');
      if (input.Subject !== undefined) checkSubject(input.Subject);
      if (input.MessageStructure === 'json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(message);
        } catch (error) {
          throw new SimulatedServiceError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse', 400, { cause: error });
        }
        if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { default?: unknown }).default !== 'string') {
          throw invalidParameter('Message Structure - No default entry in JSON message body');
        }
      }
      const attributes = Object.entries(input.MessageAttributes ?? {});
      if (attributes.length > SNS_MAX_MESSAGE_ATTRIBUTES) {
        throw invalidParameter(`Number of message attributes [${attributes.length}] exceeds the allowed maximum [${SNS_MAX_MESSAGE_ATTRIBUTES}].`);
      }
      const messageAttributes: PublishedMessage['messageAttributes'] = {};
      let size = Buffer.byteLength(message, 'utf8');
      for (const [name, attribute] of attributes) {
        const dataType = attribute.DataType ?? '';
        if (!/^(String|Number|Binary|String\.Array)(\..+)?$/.test(dataType)) {
          throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
        }
        const value = dataType.startsWith('Binary') ? Buffer.from(attribute.BinaryValue ?? new Uint8Array()).toString('base64') : (attribute.StringValue ?? '');
        if (value === '') {
          throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType.split('.')[0] ?? dataType}'.`);
        }
        size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(dataType, 'utf8') + Buffer.byteLength(value, 'utf8');
        messageAttributes[name] = { dataType, value };
      }
      if (size > SNS_MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
      const record: PublishedMessage = {
        messageId: world.ids.uuid(),
        topicArn: topic.arn,
        message: world.options.retainMessageBodies ? message : messageBodyNotKept(message, input.MessageStructure),
        messageAttributes,
        at: new Date(world.now()),
        publishedBy: call.caller.sessionArn,
        ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
        ...(input.MessageStructure === 'json' ? { structure: 'json' as const } : {}),
      };
      topic.messages.push(record);
      return { MessageId: record.messageId };
    },
  };
}

// ---- SQS ---------------------------------------------------------------------------------------

/** SQS message size limit (1 MiB since August 2025: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

export function sqsHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    SendMessage(call) {
      const input = inputOf<SendMessageCommandInput>(call);
      const queue = world.queues.get(input.QueueUrl ?? '');
      if (!queue || queue.account !== call.account || queue.region !== call.region) {
        throw new SimulatedServiceError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
      }
      const body = input.MessageBody ?? '';
      if (body === '') throw new SimulatedServiceError('MissingParameter', 'The request must contain the parameter MessageBody.', 400);
      if (Buffer.byteLength(body, 'utf8') > SQS_MAX_MESSAGE_BYTES) {
        throw new SimulatedServiceError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`, 400);
      }
      const messageAttributes: QueuedMessage['messageAttributes'] = {};
      for (const [name, attribute] of Object.entries(input.MessageAttributes ?? {})) {
        messageAttributes[name] = { dataType: attribute.DataType ?? '', value: attribute.StringValue ?? '' };
      }
      const record: QueuedMessage = {
        messageId: world.ids.uuid(),
        queueUrl: queue.url,
        body,
        messageAttributes,
        at: new Date(world.now()),
        ...(input.DelaySeconds !== undefined ? { delaySeconds: input.DelaySeconds } : {}),
      };
      queue.messages.push(record);
      // The SDK checks MD5OfMessageBody against the body it sent.
      return { MessageId: record.messageId, MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex') };
    },
  };
}

// ---- EventBridge -------------------------------------------------------------------------------

export type EventListener = (event: BusEvent) => void;

/** The default event bus of an account and region, created on first use. */
export function ensureDefaultBus(world: SimWorld, account: string, region: string): void {
  const arn = `arn:aws:events:${region}:${account}:event-bus/default`;
  if (!world.eventBuses.has(arn)) world.eventBuses.set(arn, { name: 'default', arn, account, region, events: [] });
}

/**
 * PutEvents entry size limit: 1 MB since 29 January 2026 (256 KB before), four times what a Step
 * Functions execution input may be (lib/contracts/payload-size.ts):
 * https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb
 */
export const EVENT_ENTRY_MAX_BYTES = EVENTBRIDGE_EVENT_LIMIT_BYTES;

/**
 * PutEvents answers per entry without throwing: an entry whose Source starts with `aws.` gets
 * NotAuthorizedForSourceException ("Not authorized for the source.") and counts in
 * FailedEntryCount, the others are delivered (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 */
export function eventBridgeHandlers(world: SimWorld, listeners: () => readonly EventListener[]): Record<string, ApiHandler> {
  return {
    PutEvents(call) {
      const input = inputOf<PutEventsCommandInput>(call);
      const entries = input.Entries ?? [];
      if (entries.length < 1 || entries.length > 10) {
        throw new SimulatedServiceError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10`,
          400,
        );
      }
      let failed = 0;
      const accepted: BusEvent[] = [];
      const results: PutEventsResultEntry[] = entries.map((entry) => {
        const fail = (ErrorCode: string, ErrorMessage: string): PutEventsResultEntry => {
          failed += 1;
          return { ErrorCode, ErrorMessage };
        };
        if (!entry.Source) return fail('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
        if (!entry.DetailType) return fail('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
        if (entry.Detail === undefined) return fail('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
        if (entry.Source.startsWith('aws.')) return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return fail('MalformedDetail', 'Detail is malformed.');
        }
        if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return fail('MalformedDetail', 'Detail is malformed.');
        const size = Buffer.byteLength(JSON.stringify(entry), 'utf8');
        if (size > EVENT_ENTRY_MAX_BYTES) return fail('InvalidArgument', 'Total size of the entries in the request is over the limit.');
        const busName = entry.EventBusName ?? 'default';
        // Every account and region has a default event bus.
        if (busName === 'default') ensureDefaultBus(world, call.account, call.region);
        const bus = [...world.eventBuses.values()].find(
          (b) => b.account === call.account && b.region === call.region && (b.name === busName || b.arn === busName),
        );
        if (!bus) return fail('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
        const event: BusEvent = {
          eventId: world.ids.uuid(),
          eventBusName: bus.name,
          source: entry.Source,
          detailType: entry.DetailType,
          detail,
          resources: entry.Resources ?? [],
          time: entry.Time ?? new Date(world.now()),
          account: call.account,
          region: call.region,
        };
        bus.events.push(event);
        accepted.push(event);
        return { EventId: event.eventId };
      });
      for (const event of accepted) for (const listener of listeners()) listener(event);
      return { FailedEntryCount: failed, Entries: results };
    },
  };
}

// ---- Step Functions ----------------------------------------------------------------------------

/** An answer to a task token, as SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat carry it. */
export type TaskTokenAnswer =
  | { readonly kind: 'success'; readonly taskToken: string; readonly output: string }
  | { readonly kind: 'failure'; readonly taskToken: string; readonly error?: string; readonly cause?: string }
  | { readonly kind: 'heartbeat'; readonly taskToken: string };

/** What the engine says about a token: delivered, never issued (or already answered), or timed out. */
export type TaskTokenVerdict = 'accepted' | 'unknown' | 'timed-out';

export type TaskTokenHandler = (answer: TaskTokenAnswer) => TaskTokenVerdict;

/** The Step Functions APIs that answer a task token. */
export const TASK_TOKEN_ACTIONS = ['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat'] as const;

/**
 * One SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat call (`action`, its `input`), delegated
 * to the engine that runs the state machines; throws the service's error for a token it does not
 * know or whose task timed out. The endpoint backend answers through this too.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html
 */
export function answerTaskTokenCall(handler: TaskTokenHandler | undefined, action: (typeof TASK_TOKEN_ACTIONS)[number], input: Readonly<Record<string, unknown>>): object {
  const taskToken = typeof input.taskToken === 'string' ? input.taskToken : '';
  if (taskToken.length < 1 || taskToken.length > 2048) throw new SimulatedServiceError('InvalidToken', 'Invalid Token', 400);
  let answer: TaskTokenAnswer;
  if (action === 'SendTaskSuccess') {
    const output = typeof input.output === 'string' ? input.output : '';
    try {
      JSON.parse(output);
    } catch (error) {
      throw new SimulatedServiceError('InvalidOutput', 'Invalid output: the output is not valid JSON', 400, { cause: error });
    }
    answer = { kind: 'success', taskToken, output };
  } else if (action === 'SendTaskFailure') {
    answer = {
      kind: 'failure',
      taskToken,
      ...(typeof input.error === 'string' ? { error: input.error } : {}),
      ...(typeof input.cause === 'string' ? { cause: input.cause } : {}),
    };
  } else {
    answer = { kind: 'heartbeat', taskToken };
  }
  const verdict = handler?.(answer) ?? 'unknown';
  if (verdict === 'unknown') throw new SimulatedServiceError('TaskDoesNotExist', 'Provided task does not exist anymore', 400);
  if (verdict === 'timed-out') throw new SimulatedServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'", 400);
  return {};
}

/**
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, delegated to the engine that runs the
 * state machines (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
 */
export function sfnHandlers(handler: () => TaskTokenHandler | undefined): Record<string, ApiHandler> {
  return Object.fromEntries(TASK_TOKEN_ACTIONS.map((action) => [action, (call: SimCall) => answerTaskTokenCall(handler(), action, call.input)]));
}

/**
 * What a subscription of `protocol` receives of a published message: with `MessageStructure: 'json'`
 * its protocol's entry, else `default` (https://docs.aws.amazon.com/sns/latest/dg/sns-send-custom-platform-specific-payloads-mobile-devices.html).
 */
export function messageForProtocol(message: PublishedMessage, protocol: string): string {
  if (message.structure !== 'json') return message.message;
  const entries = JSON.parse(message.message) as Record<string, unknown>;
  const entry = entries[protocol];
  return typeof entry === 'string' ? entry : String(entries.default);
}
