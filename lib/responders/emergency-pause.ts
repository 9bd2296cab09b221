/**
 * The emergency pause: one item in the deployment's state table (`pause#deployment`) that, while
 * it exists, stops every automated containment within seconds, everywhere an action happens:
 *
 * - the containment guard grants a containment in dry-run only (containment-guard.ts), and says
 *   who paused, when and why;
 * - every responder that acts under a containment grant reads the pause beside its grant
 *   (grants.ts `checkContainmentGrant`) and acts in dry-run for a `contain` grant, however the grant
 *   was issued: a grant written before the pause, replayed by a direct invocation, changes nothing.
 *
 * Releases (a `release` grant) are not paused: releasing instances quarantined by mistake is what
 * an operator does during a false-positive storm. Evidence steps hold no grant and keep running
 * (a snapshot changes nothing of the instance).
 *
 * Only the emergency-pause function writes or deletes the item (firebreak pause / resume, through
 * its IAM-authenticated Function URL: pause-control.ts); IAM lets the guard and the granted
 * responders GetItem this one key and nothing more. The item is stored text and counts as a claim:
 * an item that is there but cannot be read whole (a field missing, too long, not a time) counts as
 * a pause in force, and says so. Pure, except the small DynamoDB reader at the end.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EMERGENCY_PAUSE_ACTION, STATE_KEY_PREFIX } from '../contracts/security';
import { toResponderError } from '../aws/errors';
import { ResponderFailedError } from '../contracts/responder-errors';

/** The state-table key of the deployment's one pause item. */
export const PAUSE_KEY = `${STATE_KEY_PREFIX.pause}deployment`;

/** The action-log entry (api) that says the guard cleared a containment under the pause: the alert marks itself [PAUSED] on it. */
export const PAUSE_ACTION = EMERGENCY_PAUSE_ACTION;

/** The longest reason a pause keeps (characters): one or two sentences for the alert. */
export const MAX_PAUSE_REASON_LENGTH = 500;
/** The longest principal ARN a pause keeps (IAM ARNs are at most 2048 characters). */
export const MAX_PAUSED_BY_LENGTH = 2048;
/** Characters a reason may not carry: control and format characters, line and paragraph separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** The pause as the state table says it. */
export type PauseState =
  | { readonly paused: false }
  | {
      readonly paused: true;
      /** The principal AWS authenticated when it paused (the Function URL's caller). */
      readonly pausedBy: string;
      /** ISO 8601. */
      readonly pausedAt: string;
      readonly reason: string;
      /** Set when the item could not be read whole: what is wrong with it (it still counts as paused). */
      readonly malformed?: string;
    };

/** Not paused: no pause item. */
export const NOT_PAUSED: PauseState = { paused: false };

/** Why a reason cannot be stored, or undefined when it can (one line of printable text, 1-500 characters). */
export function pauseReasonProblem(reason: string): string | undefined {
  const trimmed = reason.trim();
  if (trimmed === '') return 'the reason is empty: say why containment is paused (it goes to the operations topic and into every alert)';
  if ([...trimmed].length > MAX_PAUSE_REASON_LENGTH) return `the reason is longer than ${MAX_PAUSE_REASON_LENGTH} characters`;
  if (UNPRINTABLE.test(trimmed)) return 'the reason holds control or format characters (line breaks included): one line of printable text only';
  return undefined;
}

/** The pause item for `state` (written by the emergency-pause function only). */
export function pauseItem(state: { readonly pausedBy: string; readonly pausedAt: string; readonly reason: string }): Record<string, AttributeValue> {
  return { pk: { S: PAUSE_KEY }, pausedBy: { S: state.pausedBy }, pausedAt: { S: state.pausedAt }, reason: { S: state.reason } };
}

/**
 * The pause an item says (pure): none without an item; a pause in force with its fields when each
 * is readable; a pause in force marked `malformed` (naming what is wrong) when any is not. Fails
 * safe: an item that exists always pauses.
 */
export function pauseStateOf(item: Record<string, AttributeValue> | undefined): PauseState {
  if (item === undefined) return NOT_PAUSED;
  const problems: string[] = [];
  const pausedBy = item.pausedBy?.S;
  const pausedAt = item.pausedAt?.S;
  const reason = item.reason?.S;
  if (item.pk?.S !== PAUSE_KEY) problems.push(`its key is ${JSON.stringify(item.pk?.S ?? null)}, not ${PAUSE_KEY}`);
  if (pausedBy === undefined || pausedBy.trim() === '' || pausedBy.length > MAX_PAUSED_BY_LENGTH || UNPRINTABLE.test(pausedBy)) problems.push('pausedBy is not a principal');
  if (pausedAt === undefined || !Number.isFinite(Date.parse(pausedAt)) || pausedAt.length > 40) problems.push('pausedAt is not a time');
  if (reason === undefined || pauseReasonProblem(reason) !== undefined) problems.push('reason is missing or not one line of printable text');
  if (problems.length === 0 && pausedBy !== undefined && pausedAt !== undefined && reason !== undefined) {
    return { paused: true, pausedBy, pausedAt, reason };
  }
  return { paused: true, pausedBy: 'unknown', pausedAt: 'unknown', reason: 'unknown', malformed: problems.join('; ') };
}

/**
 * The sentence a pause puts in the guard's reasons, the responders' action logs and so the alerts
 * (pure): it begins with `Firebreak is PAUSED` and names who, when and why. The reason is stored
 * text, quoted as JSON (the alert neutralizes it again).
 */
export function pauseSentence(state: Extract<PauseState, { paused: true }>): string {
  if (state.malformed !== undefined) {
    return `Firebreak is PAUSED: the emergency pause item (${PAUSE_KEY}) cannot be read whole (${state.malformed}), and a pause that cannot be read counts as in force; no containment is enforced until firebreak resume deletes it`;
  }
  return `Firebreak is PAUSED: ${state.pausedBy} paused automated containment at ${state.pausedAt} (reason: ${JSON.stringify(state.reason)}); no containment is enforced until firebreak resume`;
}

/** Where the pause is read: the state table in Lambda, memory in tests. */
export interface PauseReader {
  /** The pause in force now (a consistent read); throws the classified responder error when the read fails. */
  pauseState(): Promise<PauseState>;
}

/**
 * Starts reading the pause now, for an answer wanted later or not at all: the containment guard
 * reads it beside DescribeExecution, before it knows the execution is a containment. The read's
 * failure is kept for whoever asks, thrown to them as the read threw it, and never left as an
 * unhandled rejection when nobody asks.
 */
export function readPauseAhead(reader: PauseReader): () => Promise<PauseState> {
  // A reader that throws rather than rejects is kept the same way (the executor catches it).
  const settled = new Promise<PauseState>((resolve) => resolve(reader.pauseState())).then(
    (state) => ({ read: true as const, state }),
    (error: unknown) => ({ read: false as const, error }),
  );
  return async () => {
    const answer = await settled;
    if (!answer.read) throw answer.error;
    return answer.state;
  };
}

/** The GetItem of the pause item: one consistent read of one key (what IAM lets the readers read). */
export function pauseGetItemInput(tableName: string): { TableName: string; Key: Record<string, AttributeValue>; ConsistentRead: true } {
  return { TableName: tableName, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true };
}

/** The pause in the Firebreak state table (a consistent GetItem: a pause takes effect at the next read). */
export class DynamoDbPauseReader implements PauseReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async pauseState(): Promise<PauseState> {
    if (this.tableName === '') throw new ResponderFailedError('The pause reader has no state table name (FIREBREAK_STATE_TABLE is not set)');
    try {
      const { Item } = await this.client.send(new GetItemCommand(pauseGetItemInput(this.tableName)));
      return pauseStateOf(Item);
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
  }
}

/** A pause held in memory (tests, tools). */
export class InMemoryPause implements PauseReader {
  constructor(public state: PauseState = NOT_PAUSED) {}

  async pauseState(): Promise<PauseState> {
    return this.state;
  }
}
