/**
 * The oversized-event intake: the second target of every Firebreak rule, beside the dispatcher.
 * EventBridge invokes it asynchronously (up to 1 MB) with every event the rule matches, in
 * parallel with the dispatcher target, so the usual path gets no extra hop.
 *
 * - An event within OVERSIZED_EVENT_THRESHOLD_BYTES: nothing (the dispatcher target has it); a
 *   debug line.
 * - A larger one: the dispatcher target cannot handle it (StartExecution refuses an input over
 *   256 KiB; just under it, the Triage state fails with States.DataLimitExceeded), so the intake
 *   starts the dispatcher with its clipped copy (lib/incident/clip-event.ts), marked
 *   `firebreak-clipped`. The copy's playbook execution name is its own (`playbookExecutionName`:
 *   a hash of the revision and the clip's incident, rows 8g and 8i), so no copy, forged or confirmed,
 *   takes the name of GuardDuty's own delivery; if both the original and the copy get through (an
 *   event just over the threshold that Triage could still take), both run.
 * - A larger game-day event (source firebreak.gameday): refused (GameDayEventAtIntakeError), nothing
 *   dispatched: no drill needs the intake (refuseGameDayEvent, row 1p).
 *
 * Its input is a claim: it is measured, clipped and, for a GuardDuty finding, compared with
 * GuardDuty's own copy of it, and nothing is added but the marker. Anyone allowed to invoke the
 * function directly can send a forged event, and nothing in the event can tell: so every incident
 * it dispatches carries `clipped.event` (from the marker; an input over EventBridge's 1 MB, which
 * only a direct invocation sends, is refused rather than dispatched without it), and the
 * containment guard asks a person to approve its containment unless the marker says GuardDuty
 * confirmed it: GetFindings by the finding's id answered a finding equal to the event
 * (lib/responders/finding-confirmation.ts; a failed or refused check only leaves it unconfirmed).
 * Its calls are ListDetectors and GetFindings (GuardDuty, read-only) and StartExecution of the
 * dispatcher, all its role may do. A failed StartExecution (throttled) or an input that is no event
 * fails the invocation: Lambda retries it, then keeps the event in the undelivered-events queue
 * (the function's dead-letter queue) and its error alarm pages.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from '../contracts/zod-mini';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';
import { CLIPPED_EVENT_TARGET_BYTES, EVENTBRIDGE_EVENT_LIMIT_BYTES, OVERSIZED_EVENT_THRESHOLD_BYTES, payloadBytes } from '../contracts/payload-size';
import { FINDING_CONFIRMED_BY, clipOversizedEvent } from '../incident/clip-event';
import { GAMEDAY_SOURCE } from '../incident/schemas';
import type { IncidentLogger } from './logging';
import type { FindingSource } from './finding-confirmation';
import { confirmAtSource } from './finding-confirmation';

/** The input over the threshold is not an EventBridge event, or is larger than EventBridge delivers: nothing to clip or dispatch. */
export class OversizedEventInputError extends FirebreakError {
  override readonly name = 'OversizedEventInputError';
}

/**
 * A game-day event (source firebreak.gameday) over the threshold: no drill needs the intake, so it
 * is refused, never dispatched (see refuseGameDayEvent).
 */
export class GameDayEventAtIntakeError extends FirebreakError {
  override readonly name = 'GameDayEventAtIntakeError';
}

/** The function was deployed without the dispatcher's ARN (FIREBREAK_DISPATCHER_ARN). */
export class DispatcherNotConfiguredError extends FirebreakError {
  override readonly name = 'DispatcherNotConfiguredError';
}

/** Starts the dispatcher with an input (JSON text); answers the execution's ARN. */
export interface DispatcherStarts {
  start(input: string): Promise<{ readonly executionArn?: string }>;
}

/** StartExecution of the dispatcher, the one call the intake makes; Step Functions names the execution. */
export class SfnDispatcherStarts implements DispatcherStarts {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: string): Promise<{ readonly executionArn?: string }> {
    const answer = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, input }));
    return answer.executionArn !== undefined ? { executionArn: answer.executionArn } : {};
  }
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The dispatcher's ARN, from the function's environment (the stack sets it); read at cold start. */
export function dispatcherArnFromEnv(environment: Readonly<Record<string, string | undefined>>): string {
  const arn = environment[DEPLOYMENT_ENV.dispatcherArn];
  if (arn === undefined || !STATE_MACHINE_ARN.test(arn)) {
    throw new DispatcherNotConfiguredError(`${DEPLOYMENT_ENV.dispatcherArn} must be the dispatcher state machine's ARN (the stack sets it); got ${arn === undefined ? 'nothing' : JSON.stringify(arn.slice(0, 200))}`);
  }
  return arn;
}

/** What the intake checks of an event it is about to clip: an EventBridge event, its detail an object. */
const eventSchema = z.looseObject({
  id: z.optional(z.string()),
  source: z.string(),
  'detail-type': z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export type OversizedEventResult =
  | { readonly action: 'none'; readonly bytes: number }
  | {
      readonly action: 'dispatched';
      readonly originalBytes: number;
      readonly bytes: number;
      readonly executionArn?: string;
      /** GuardDuty's own copy of the finding matched the event (the marker's `confirmedBy`). */
      readonly confirmed: boolean;
      /** Why not, when not. */
      readonly unconfirmed?: string;
    };

export interface OversizedEventDependencies {
  readonly dispatcher: DispatcherStarts;
  /** GuardDuty's own copies of findings (GetFindings), to confirm a GuardDuty finding event with. */
  readonly findings: FindingSource;
  readonly logger: IncidentLogger;
}

/** The intake's handler: nothing for an event within the threshold, the clipped copy dispatched for any larger one. */
export function createOversizedEventHandler(dependencies: OversizedEventDependencies): (input: unknown) => Promise<OversizedEventResult> {
  const { dispatcher, findings, logger } = dependencies;
  return async (input) => {
    // Measured once: every event the rules match comes here, and nearly all are far under.
    const bytes = payloadBytes(input);
    if (bytes <= OVERSIZED_EVENT_THRESHOLD_BYTES) {
      logger.debug('event within the dispatcher target\'s limit: nothing to do', { bytes });
      return { action: 'none', bytes };
    }
    // EventBridge delivers at most 1 MB; Lambda takes 6 MB from a synchronous Invoke, so only a
    // direct invocation sends more. Its copy's marker would not be honoured (clippedEventMarkerOf),
    // and the incident would lose `clipped.event`, which makes the containment guard ask a person.
    if (bytes > EVENTBRIDGE_EVENT_LIMIT_BYTES) {
      throw new OversizedEventInputError(`an input of ${bytes} bytes, more than EventBridge delivers (${EVENTBRIDGE_EVENT_LIMIT_BYTES}): not an event from a rule, nothing is dispatched`);
    }
    const parsed = eventSchema.safeParse(input);
    if (!parsed.success) {
      throw new OversizedEventInputError(`an input of ${bytes} bytes that is not an EventBridge event (source, detail-type, an object detail): nothing is dispatched`);
    }
    if (parsed.data.source === GAMEDAY_SOURCE) refuseGameDayEvent(parsed.data, bytes, logger);
    const event = input as Record<string, unknown>;
    // Before the clip: what is compared with GuardDuty's copy is the event as it arrived.
    const confirmation = await confirmAtSource(event, findings);
    // A confirmed event goes on with GuardDuty's update counters, not the sender's: its revision
    // names the playbook's and each resource's execution, and may not be the sender's to pick (row 1zk).
    const clipped = confirmation.confirmed ? clipOversizedEvent(confirmation.event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY) : clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES);
    const started = await dispatcher.start(JSON.stringify(clipped.event));
    const context = {
      eventId: parsed.data.id,
      source: parsed.data.source,
      detailType: parsed.data['detail-type'],
      originalBytes: clipped.originalBytes,
      bytes: clipped.bytes,
      ...(started.executionArn !== undefined ? { executionArn: started.executionArn } : {}),
      confirmed: confirmation.confirmed,
      ...(!confirmation.confirmed ? { unconfirmed: confirmation.reason } : {}),
    };
    // A warning: someone should know an event was this large (an attacker may have grown it), and
    // why GuardDuty did not confirm it when it did not.
    logger.warn(
      confirmation.confirmed
        ? 'event over the dispatcher target\'s limit: GuardDuty\'s copy of the finding matched it, dispatched its clipped copy confirmed'
        : 'event over the dispatcher target\'s limit: not confirmed with GuardDuty, dispatched its clipped copy unconfirmed (containment waits for a person)',
      context,
    );
    return {
      action: 'dispatched',
      originalBytes: clipped.originalBytes,
      bytes: clipped.bytes,
      ...(started.executionArn !== undefined ? { executionArn: started.executionArn } : {}),
      confirmed: confirmation.confirmed,
      ...(!confirmation.confirmed ? { unconfirmed: confirmation.reason } : {}),
    };
  };
}

/**
 * Refuses a game-day event over the threshold, loudly. Game-day events are put on the game-day bus
 * by `firebreak gameday inject` (events:PutEvents, source firebreak.gameday, only the
 * gameDayPrincipals), built from the catalogue's templates, a few KB each: no drill is ever large
 * enough to need the intake. What comes here with that source is someone who may invoke the function
 * (a direct invocation) sending a drill nobody injected, or a hand-made drill put on the game-day bus
 * past the command; the intake cannot tell the two apart, and cannot authenticate either. The parser
 * reads the source exactly (`gameDay: source === GAMEDAY_SOURCE`, lib/incident/parse.ts), and so does
 * this check: a look-alike source is no drill, and is dispatched as any event (triage refuses a
 * source it does not know). Refused, not dropped: the error line names the event, the invocation
 * fails (an asynchronous one is retried, then kept in the undelivered-events queue with its error
 * name; a synchronous one answers its caller the error), and the function's error alarm pages.
 */
function refuseGameDayEvent(event: { readonly id?: string | undefined; readonly source: string; readonly 'detail-type': string }, bytes: number, logger: IncidentLogger): never {
  const context = { eventId: event.id, source: event.source, detailType: event['detail-type'], bytes };
  logger.error('game-day event at the intake: refused, nothing dispatched', context);
  throw new GameDayEventAtIntakeError(`a game-day event of ${bytes} bytes: no drill needs the intake (\`firebreak gameday inject\` puts drills of a few KB on the game-day bus); refused, nothing is dispatched`);
}
