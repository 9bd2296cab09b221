/**
 * The emergency-pause function: the one place the deployment's emergency pause is set or lifted
 * (emergency-pause.ts). People call it through its Lambda Function URL (AuthType AWS_IAM: AWS
 * authenticates the SigV4-signed request and IAM decides who may invoke it, through the stack's
 * PauserPolicy), with `{ action: 'pause', reason }`, `{ action: 'resume', reason? }` or
 * `{ action: 'status' }`. It
 *
 * 1. takes who asks from STS's answer to the request's caller proof (caller-proof.ts), which must
 *    name the caller AWS authenticated from the signature (`requestContext.authorizer.iam`): never
 *    from the request body, and never from a request context alone, which a direct invocation
 *    writes itself;
 * 2. for a pause or resume, records its caller proof as used (PutItem `proof#<signature>`, only if
 *    absent): a request sent again whole is refused, nothing changed;
 * 3. reads the pause item (one consistent GetItem);
 * 4. for a pause (or a resume) that changes something, FIRST publishes to the operations topic who
 *    pauses (resumes) and why: a pause silently disabling defence, or a silent resume, is itself an
 *    attack path, so nothing is written unless the operations topic took the alert;
 * 5. then writes the item (PutItem, only if absent: a second pause never replaces who paused first)
 *    or deletes it (DeleteItem, only if it is still the pause read and announced: one set since,
 *    after another resume, stays, and a second alert says this resume did not take effect). If that
 *    write fails after the alert, a second alert says the change did not take effect.
 *
 * The same policy holds pause and resume: a principal that may not pause may not resume either.
 * This function's role may touch the one key `pause#deployment`, put `proof#` items, and publish to
 * the operations topic, nothing else; operators never get write access to the state table (it holds the grants).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import type { PauseState } from './emergency-pause';
import { NOT_PAUSED, PAUSE_KEY, pauseGetItemInput, pauseItem, pauseReasonProblem, pauseStateOf } from './emergency-pause';
import type { IncidentLogger } from './logging';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { STATE_TTL_ATTRIBUTE } from '../contracts/incident-record';
import { FirebreakError } from '../contracts/errors';
import type { FunctionUrlResult } from './function-url-response';
import type { CallerProofVerifier } from './caller-proof';
import { CALLER_PROOF_HEADER, provenCaller } from './caller-proof';
import { functionUrlEventSchema, jsonFunctionUrlHandler, requestText } from './function-url-response';

/** The function was deployed without the operations topic: a pause nobody is told of is an attack path. */
export class PauseTopicNotConfiguredError extends FirebreakError {
  override readonly name = 'PauseTopicNotConfiguredError';
}

/** The operations (backup) topic from the Lambda environment; throws PauseTopicNotConfiguredError naming the variable. */
export function operationsTopicArnFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const topicArn = env[DEPLOYMENT_ENV.backupTopicArn];
  if (topicArn === undefined || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topicArn)) {
    throw new PauseTopicNotConfiguredError(
      `${DEPLOYMENT_ENV.backupTopicArn} must be the ARN of the operations topic, where every pause and resume is announced; got ${topicArn === undefined ? 'nothing' : JSON.stringify(topicArn)}`,
    );
  }
  return topicArn;
}

/** The stack output holding the emergency-pause function's URL (the CLI reads it). */
export const PAUSE_URL_OUTPUT_KEY = 'EmergencyPauseFunctionUrl';
/** The stack output holding the managed policy that lets people call it. */
export const PAUSER_POLICY_OUTPUT_KEY = 'PauserPolicyArn';

/** What a caller asks. */
export const pauseRequestBodySchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('pause'), reason: z.string() }),
  z.strictObject({ action: z.literal('resume'), reason: z.optional(z.string()) }),
  z.strictObject({ action: z.literal('status') }),
]);

export type PauseRequestBody = z.output<typeof pauseRequestBodySchema>;

/** The function's answer (the Function URL's body, with its HTTP status). */
export interface PauseResponse {
  readonly statusCode: 200 | 400 | 401 | 409 | 502;
  readonly outcome: 'paused' | 'resumed' | 'already-paused' | 'not-paused' | 'status' | 'refused' | 'failed';
  readonly message: string;
  /** The pause in force after the call (as read or written). */
  readonly pause?: PauseState;
}

/** Where the pause item lives: the state table in Lambda, memory in tests. */
export interface PauseSwitch {
  read(): Promise<PauseState>;
  /** Writes the pause unless one exists; answers the pause in force. */
  pause(state: { readonly pausedBy: string; readonly pausedAt: string; readonly reason: string }): Promise<{ readonly written: boolean; readonly state: PauseState }>;
  /**
   * Deletes the pause `expected` (the one read, and announced as lifted) and no other: answers the
   * pause it deleted (not paused when none is left), or the other pause found in force in its place
   * (set after the read), which it leaves.
   */
  resume(expected: PauseState): Promise<PauseLift>;
  /**
   * Records that the caller proof `proof` was taken for `action`, unless it was already: answers
   * false for a proof taken before (the request was sent again whole), true the first time.
   */
  spendProof(proof: SpentProof): Promise<boolean>;
}

/** What a resume did: lifted the pause it read (or found none left), or found another in its place. */
export type PauseLift = { readonly lifted: PauseState } | { readonly replacedBy: Extract<PauseState, { paused: true }> };

/** A caller proof the function takes for a pause or resume: each is good for one request. */
export interface SpentProof {
  /** Its X-Amz-Signature: a request sent again whole carries the same. */
  readonly signature: string;
  /** Until when the proof is good (then it is refused as expired anyway, and the record may go). */
  readonly expiresAt: Date;
  readonly action: 'pause' | 'resume';
  /** Who STS said signed it. */
  readonly spentBy: string;
  readonly spentAt: string;
}

/** Where the pause and resume alerts go: the operations (backup) topic. */
export interface PauseAnnouncer {
  announce(subject: string, message: string): Promise<string>;
}

export interface PauseControlDeps {
  readonly store: PauseSwitch;
  readonly announcer: PauseAnnouncer;
  /** Who signed a request's caller proof (STS in Lambda; the game day's simulated STS). */
  readonly callers: CallerProofVerifier;
  readonly logger: Logger | IncidentLogger;
  readonly now?: () => Date;
}

/** The state table's side: one key, read consistently, written and deleted conditionally. */
export class DynamoDbPauseSwitch implements PauseSwitch {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<PauseState> {
    try {
      const { Item } = await this.client.send(new GetItemCommand(pauseGetItemInput(this.tableName)));
      return pauseStateOf(Item);
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
  }

  async pause(state: { readonly pausedBy: string; readonly pausedAt: string; readonly reason: string }): Promise<{ readonly written: boolean; readonly state: PauseState }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: pauseItem(state),
          // Who paused first stays on record: a second pause changes nothing.
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true, state: { paused: true, ...state } };
    } catch (error) {
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:PutItem');
      const old = itemOfConditionFailure(error);
      return { written: false, state: old !== undefined ? pauseStateOf(old) : await this.read() };
    }
  }

  async resume(expected: PauseState): Promise<PauseLift> {
    // The pause the resume read and announced, by who set it and when (the function writes both, and
    // never replaces a pause): another resume may have lifted it since, and someone paused again, and
    // that pause was announced after this resume's alert. A malformed item names neither; any item
    // in its place is lifted, as before.
    const same =
      expected.paused && expected.malformed === undefined
        ? { ConditionExpression: 'pausedBy = :pausedBy AND pausedAt = :pausedAt', ExpressionAttributeValues: { ':pausedBy': { S: expected.pausedBy }, ':pausedAt': { S: expected.pausedAt } } }
        : { ConditionExpression: 'attribute_exists(pk)' };
    try {
      const { Attributes } = await this.client.send(
        new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: PAUSE_KEY } }, ...same, ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { lifted: pauseStateOf(Attributes) };
    } catch (error) {
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:DeleteItem');
      const old = itemOfConditionFailure(error);
      const inForce = pauseStateOf(old);
      return inForce.paused ? { replacedBy: inForce } : { lifted: NOT_PAUSED };
    }
  }

  async spendProof(proof: SpentProof): Promise<boolean> {
    // This call's own mark: the client retries a PutItem whose answer it lost (a 500, a reset
    // connection) though the write may have landed, and the retry then finds this very record.
    const spendId = randomUUID();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: `${STATE_KEY_PREFIX.spentProof}${proof.signature}` },
            action: { S: proof.action },
            spentBy: { S: proof.spentBy },
            spentAt: { S: proof.spentAt },
            spendId: { S: spendId },
            // DynamoDB's TTL deletes it some time after the proof expired; until then it is refused as spent, then as expired.
            [STATE_TTL_ATTRIBUTE]: { N: String(Math.ceil(proof.expiresAt.getTime() / 1000)) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return itemOfConditionFailure(error)?.spendId?.S === spendId;
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }
}

/** What a chat reader of any pause announcement should do. */
const PAUSE_NEXT_STEPS = ['If nobody on your team expected this, treat it as an incident.', 'firebreak status shows whether containment is paused, by whom, since when and why.'];

/** The chat entry's description cap, as publish-alert's (CHAT_LIMITS.description): a caller's ARN may take 2,048 characters. */
const CHAT_DESCRIPTION_LIMIT = 3500;

/**
 * One announcement for each protocol the operations topic may deliver to, in one publish
 * (`MessageStructure: 'json'`), as publish-alert sends alerts (alert-protocols.ts): the text for
 * e-mail, SQS and the rest, the subject for SMS, and for `https` the custom-notification JSON of
 * Amazon Q Developer in chat applications, which shows nothing else: a plain-text pause would never
 * reach a Slack or Teams channel (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
 */
export function pauseAnnouncementMessages(subject: string, message: string): string {
  const description = message.length > CHAT_DESCRIPTION_LIMIT ? `${message.slice(0, CHAT_DESCRIPTION_LIMIT - 1)}…` : message;
  const chat = {
    version: '1.0',
    source: 'custom',
    content: { textType: 'client-markdown', title: subject, description, nextSteps: PAUSE_NEXT_STEPS, keywords: ['emergency-pause'] },
    metadata: { summary: subject, eventType: 'firebreak.emergency-pause', relatedResources: [], additionalContext: {} },
  };
  return JSON.stringify({ default: message, email: message, sms: `Firebreak ${subject}`, https: JSON.stringify(chat) });
}

/** The operations topic (SNS Publish: subject, and the message for each protocol). */
export class SnsPauseAnnouncer implements PauseAnnouncer {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async announce(subject: string, message: string): Promise<string> {
    try {
      const { MessageId } = await this.sns.send(
        new PublishCommand({ TopicArn: this.topicArn, Subject: subject, MessageStructure: 'json', Message: pauseAnnouncementMessages(subject, message) }),
      );
      return MessageId ?? '';
    } catch (error) {
      throw toResponderError(error, 'sns:Publish');
    }
  }
}

/** An SNS subject: at most 100 printable ASCII characters (the principal ARN is cut first). */
function subjectOf(marker: string, who: string): string {
  const printable = who.replace(/[^\x20-\x7E]/g, '?');
  const room = 100 - marker.length - 4;
  return `${marker} by ${printable.length > room ? `${printable.slice(0, Math.max(0, room - 3))}...` : printable}`;
}

function describePause(state: PauseState): string {
  if (!state.paused) return 'not paused';
  if (state.malformed !== undefined) return `paused (the pause item cannot be read whole: ${state.malformed}; it counts as paused)`;
  return `paused by ${state.pausedBy} at ${state.pausedAt} (reason: ${JSON.stringify(state.reason)})`;
}

function refused(statusCode: PauseResponse['statusCode'], message: string): PauseResponse {
  return { statusCode, outcome: 'refused', message };
}

/** Handles one Function URL request: parse, authenticate (AWS did), act, answer. */
export async function controlPause(event: unknown, deps: PauseControlDeps): Promise<PauseResponse> {
  const parsedEvent = functionUrlEventSchema.safeParse(event);
  const iam = parsedEvent.success ? parsedEvent.data.requestContext.authorizer?.iam : undefined;
  if (!parsedEvent.success || iam === undefined) return refused(401, 'The request carries no AWS-authenticated caller (the Function URL must use AuthType AWS_IAM)');
  if (parsedEvent.data.requestContext.http?.method !== 'POST') return refused(400, 'Send the request as a POST');
  const now = deps.now ?? (() => new Date());
  const text = requestText(parsedEvent.data);
  // Who asks is what STS says signed the caller proof for this very body, never the event: anyone
  // allowed lambda:InvokeFunction could invoke the function directly with a request context naming
  // the on-call lead (caller-proof.ts; docs/security.md row 5j).
  const proven = await provenCaller('pause', parsedEvent.data.headers?.[CALLER_PROOF_HEADER], text, iam, deps.callers, now());
  if ('refused' in proven) {
    deps.logger.warn('pause request refused: caller not proven', { claimedCaller: iam.userArn, reason: proven.refused });
    return refused('unavailable' in proven ? 502 : 401, `Nothing was changed: ${proven.refused}. Use the current firebreak pause / resume, which proves who you are to STS`);
  }
  const caller = proven.arn;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return refused(400, 'The body is not JSON');
  }
  const body = pauseRequestBodySchema.safeParse(raw);
  if (!body.success) return refused(400, `The body must be {"action":"pause","reason":"..."}, {"action":"resume"} or {"action":"status"}: ${z.prettifyError(body.error)}`);
  const request = body.data;
  if (request.action === 'status') {
    const current = await deps.store.read();
    return { statusCode: 200, outcome: 'status', message: `Firebreak is ${describePause(current)}.`, pause: current };
  }

  const reason = request.reason?.trim();
  const problem = reason === undefined ? (request.action === 'pause' ? 'the reason is empty' : undefined) : reason === '' && request.action === 'resume' ? undefined : pauseReasonProblem(reason);
  if (problem !== undefined) return refused(400, `Nothing was changed: ${problem}`);
  // Each proof pauses or resumes once: a request captured whole and sent again by whoever may invoke
  // the function directly would otherwise lift a later pause (or set one again) in its signer's name
  // (docs/security.md row 5k). Spent before anything is read or announced.
  let firstUse: boolean;
  try {
    firstUse = await deps.store.spendProof({ ...proven.proof, action: request.action, spentBy: caller, spentAt: now().toISOString() });
  } catch (error) {
    deps.logger.error('pause request refused: its caller proof could not be recorded as used', { caller, error });
    return refused(502, `Nothing was changed: the request's caller proof could not be recorded as used (${error instanceof Error ? error.message : String(error)}); try again`);
  }
  if (!firstUse) {
    deps.logger.warn('pause request refused: caller proof used before (the request was sent again whole)', { caller, action: request.action });
    return refused(401, `Nothing was changed: this request's caller proof was used already (the request was sent again whole). Each firebreak ${request.action} proves who you are anew`);
  }
  const current = await deps.store.read();

  if (request.action === 'pause') {
    if (current.paused) return { statusCode: 409, outcome: 'already-paused', message: `Nothing was changed: Firebreak is already ${describePause(current)}.`, pause: current };
    const pausedAt = now().toISOString();
    const why = reason ?? '';
    // The operations topic first: no pause takes effect unless people were told of it.
    await deps.announcer.announce(
      subjectOf('[FIREBREAK PAUSED]', caller),
      [
        `Firebreak's emergency pause was set by ${caller} at ${pausedAt}.`,
        `Reason given: ${JSON.stringify(why)}`,
        'While it holds, no containment is enforced: the containment guard clears containments in dry-run only, and every responder that contains acts in dry-run, even under a grant issued before the pause. Releases and evidence still run.',
        'If nobody on your team expected this, treat it as an incident: whoever holds the PauserPolicy can switch automated containment off. Lift it with: firebreak resume --reason "..."',
      ].join('\n'),
    );
    let written;
    try {
      written = await deps.store.pause({ pausedBy: caller, pausedAt, reason: why });
    } catch (error) {
      await notApplied(deps, 'pause', caller, error);
      throw error;
    }
    deps.logger.info('emergency pause set', { pausedBy: caller, pausedAt, written: written.written });
    if (!written.written) return { statusCode: 409, outcome: 'already-paused', message: `Nothing was changed: Firebreak is already ${describePause(written.state)}.`, pause: written.state };
    return { statusCode: 200, outcome: 'paused', message: `Firebreak is ${describePause(written.state)}. No containment is enforced until firebreak resume; releases still run.`, pause: written.state };
  }

  // resume
  if (!current.paused) return { statusCode: 200, outcome: 'not-paused', message: 'Nothing was changed: Firebreak is not paused.', pause: current };
  const resumedAt = now().toISOString();
  await deps.announcer.announce(
    subjectOf('[FIREBREAK RESUMED]', caller),
    [
      `Firebreak's emergency pause was lifted by ${caller} at ${resumedAt}: automated containment is enforced again.`,
      `Reason given: ${reason !== undefined && reason !== '' ? JSON.stringify(reason) : '(none given)'}`,
      `The pause lifted: ${describePause(current)}.`,
      'If nobody on your team expected this, find out who resumed and why.',
    ].join('\n'),
  );
  let lift;
  try {
    lift = await deps.store.resume(current);
  } catch (error) {
    await notApplied(deps, 'resume', caller, error);
    throw error;
  }
  if ('replacedBy' in lift) {
    // Another pause, set (and announced) after this resume read the one it announced: it stays, and
    // the topic hears that this resume lifted nothing, so that nobody believes containment is back.
    const why = `another resume lifted the pause this one announced, and Firebreak was paused again before it acted: it is ${describePause(lift.replacedBy)}`;
    deps.logger.warn('emergency pause not lifted: paused again since it was read', { resumedBy: caller, inForce: lift.replacedBy });
    await notApplied(deps, 'resume', caller, why);
    return { statusCode: 409, outcome: 'failed', message: `Nothing was changed: ${why}.`, pause: lift.replacedBy };
  }
  const lifted = lift.lifted;
  deps.logger.info('emergency pause lifted', { resumedBy: caller, resumedAt, was: lifted });
  return { statusCode: 200, outcome: 'resumed', message: `Firebreak is no longer paused (it was ${describePause(lifted.paused ? lifted : current)}); containment is enforced again.`, pause: { paused: false } };
}

/** After an announced change failed to be written: a second alert says it did not take effect (best effort). */
async function notApplied(deps: PauseControlDeps, action: 'pause' | 'resume', caller: string, error: unknown): Promise<void> {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  try {
    await deps.announcer.announce(subjectOf(`[FIREBREAK ${action.toUpperCase()} FAILED]`, caller), `The ${action} announced just before did NOT take effect: the state table refused it (${why.slice(0, 500)}).`);
  } catch {
    // The first alert went out; the failed write is in the function's log and its error metric.
  }
}

/** Builds the Lambda handler over injected store and announcer: the Lambda, the local game day and tests run exactly this. */
export function createPauseControlHandler(deps: PauseControlDeps): (event: unknown) => Promise<FunctionUrlResult> {
  return jsonFunctionUrlHandler((event) => controlPause(event, deps));
}
