/**
 * The triage Lambda's handler: it parses the raw event and calls the pure `triage`
 * (lib/playbooks/triage.ts) with the routing table of its own environment. It never throws for a
 * bad event (the dispatcher alerts and keeps it), but refuses every event while its routing table
 * is missing or malformed (a deployment bug).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../contracts/zod-mini';
import { servedAccountsFromEnvironment } from '../contracts/security';
import type { Incident } from '../incident/model';
import { EventParseError, parseEvent } from '../incident/parse';
import type { RoutingTable } from '../playbooks/routing';
import { RoutingTableError, routingTableFromEnvironment } from '../playbooks/routing';
import type { PlaybookDecision, TriageDecision, TriageDeployment } from '../playbooks/triage';
import { TRIAGE_ANSWER_BUDGET_BYTES, invalidEventDecision, playbookDecisionOf, tooLargeToHandOn, triage } from '../playbooks/triage';
import { payloadBytes, payloadBytesOver } from '../contracts/payload-size';
import { withinBytes } from '../incident/budget';
import { keptEventOf } from '../incident/kept-event';
import { incidentLoggerFrom } from './handler-logger';
import { DEFAULT_INCIDENT_RECORD_RETENTION_DAYS, IncidentRecordConfigError, incidentRecordRetentionDaysFromEnv } from './incident-record-model';
import type { IncidentLogger } from './logging';
import type { TriageRecordWrite } from './triage-record';
import { triageRecordWrite } from './triage-record';

/**
 * What the dispatcher sends the triage Lambda: `{ event, receivedAt? }`, `receivedAt` being when
 * the event reached Firebreak (ISO 8601; defaults to now). The event is parsed on its own. Nothing
 * else: the routing table is the function's own (its environment), never the input's, so that the
 * Triage state's input is the event and a few bytes (docs/security.md §D4).
 */
const triageEnvelopeSchema = z.looseObject({
  receivedAt: z.optional(z.iso.datetime({ offset: true })),
});

export interface TriageHandlerDependencies {
  readonly logger: Logger | IncidentLogger;
  /**
   * The triage Lambda's environment (the stack's variables): FIREBREAK_ROUTING_TABLE,
   * FIREBREAK_SECURITY_ACCOUNT_ID, FIREBREAK_SERVED_ACCOUNT_IDS, FIREBREAK_ORGANIZATION_ID,
   * FIREBREAK_MEMBER_ROLE_NAME. Without a readable routing table every event is refused (the
   * dispatcher keeps and alerts it); without a readable security account id every incident is
   * refused (alerted, never acted upon).
   */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The clock of triage's record entry (the game day's simulated one); default: the wall clock. */
  readonly now?: () => Date;
  /** The most bytes triage's answer may take (see `TRIAGE_ANSWER_BUDGET_BYTES`); tests set a smaller one. */
  readonly answerBudgetBytes?: number;
}

/**
 * Triage's answer: the decision; for a decision about an incident (start a playbook, alert only)
 * the incident-record write of triage's own entry, which the dispatcher makes after dispatch
 * (lib/responders/triage-record.ts); and for a playbook to start, the part of the decision the
 * playbook receives (`playbookDecision`, without the incident, which its input carries once).
 * Always `kept`: the event as the dispatcher keeps and alerts it if it cannot hand it on, bounded
 * (lib/incident/kept-event.ts) so that neither the kept message nor the alert can exceed Step
 * Functions' payload limit.
 */
export type RecordedTriageDecision = TriageDecision & {
  readonly record?: TriageRecordWrite;
  readonly playbookDecision?: PlaybookDecision;
  readonly kept: unknown;
};

/**
 * The triage Lambda's logic. A bad event yields outcome `invalid` (never a throw: the dispatcher
 * alerts and dead-letters it); a missing or malformed routing table, or a malformed input, throws
 * `RoutingTableError`.
 */
export function createTriageHandler(dependencies: TriageHandlerDependencies): (input: unknown) => Promise<RecordedTriageDecision> {
  // Read once: the environment is the deployment's, fixed for the life of the function.
  const deployment: TriageDeployment = { servedAccounts: servedAccountsFromEnvironment(dependencies.environment) };
  // Read and checked once, at module load. A table that cannot be read fails every invocation with
  // its own error rather than the cold start: the dispatcher then keeps and alerts each event with
  // the error named (a failed init would name none), and the function's error alarm fires.
  const routing = routingTableOf(dependencies);
  // Triage is on every event's path: a retention that cannot be read must not stop dispatch (the
  // other responders fail their cold start on it, naming the variable). Its record entry then keeps
  // the default retention, and the error is logged at every cold start until the variable is fixed.
  const retentionDays = triageRetentionDays(dependencies);
  const now = dependencies.now ?? (() => new Date());
  const answerBudgetBytes = dependencies.answerBudgetBytes ?? TRIAGE_ANSWER_BUDGET_BYTES;
  return async (input: unknown) => {
    const startedAt = now();
    if (routing instanceof RoutingTableError) throw routing;
    const envelope = triageEnvelopeSchema.safeParse(input);
    if (!envelope.success) {
      throw new RoutingTableError(`malformed triage input: ${envelope.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const event = (input as { event?: unknown }).event;
    const kept = keptEventOf(event);
    const receivedAt = envelope.data.receivedAt === undefined ? undefined : new Date(envelope.data.receivedAt);
    let incident: Incident;
    try {
      incident = parseEvent(event, receivedAt === undefined ? {} : { receivedAt });
    } catch (error) {
      // parseEvent promises EventParseError only; anything else is wrapped so no event is lost.
      const refusal = error instanceof EventParseError ? error : new EventParseError([{ path: '(root)', expected: 'an event the parser can read' }], { cause: error });
      const logger = incidentLoggerFrom(dependencies.logger, 'unparsed-event');
      const decision = invalidEventDecision(refusal);
      logger.warn('event refused', { issues: decision.error?.issues, omittedIssues: decision.error?.omittedIssues });
      return { ...decision, kept };
    }
    let decision = triage(incident, routing, deployment);
    incidentLoggerFrom(dependencies.logger, incident.key).info('triage decision', {
      outcome: decision.outcome,
      playbook: decision.playbook,
      mode: decision.mode,
      executionName: decision.executionName,
    });
    let answer = answerOf(decision, { startedAt, endedAt: now() }, retentionDays, kept);
    // Measured as the dispatcher holds it, so that no payload after triage can exceed Step Functions'
    // limit and fail past the Catch that keeps and alerts the event.
    let bytes = payloadBytesOver({ triage: { decision: answer } }, answerBudgetBytes);
    if (bytes === undefined) return answer;
    // A playbook to start: the incident is fitted smaller first (alert-only sections left out, named
    // in clipped.sections; never the resource or the affected resources a decision reads), and triaged
    // again, deterministically, so that a large incident (an attack sequence naming hundreds of
    // instances, with its signals) still starts its playbook rather than only an alert (row 1zi).
    if (decision.outcome === 'start-playbook') {
      const smaller = payloadBytes(incident) - (bytes - answerBudgetBytes) - REFIT_MARGIN_BYTES;
      const fitted = smaller > 0 ? withinBytes(incident, smaller) : incident;
      if (fitted !== incident) {
        const refitted = triage(fitted, routing, deployment);
        const refittedAnswer = answerOf(refitted, { startedAt, endedAt: now() }, retentionDays, kept);
        const refittedBytes = payloadBytesOver({ triage: { decision: refittedAnswer } }, answerBudgetBytes);
        incidentLoggerFrom(dependencies.logger, incident.key).warn('triage answer over its budget: incident fitted smaller', { bytes, budgetBytes: answerBudgetBytes, leftOut: fitted.clipped?.sections, fits: refittedBytes === undefined });
        if (refittedBytes === undefined) return refittedAnswer;
        decision = refitted;
        answer = refittedAnswer;
        bytes = refittedBytes;
      }
    }
    incidentLoggerFrom(dependencies.logger, incident.key).warn('triage answer over its budget: alert only', { bytes, budgetBytes: answerBudgetBytes });
    return answerOf(tooLargeToHandOn(decision, bytes, answerBudgetBytes), { startedAt, endedAt: now() }, retentionDays, kept);
  };
}

/** What the incident is fitted below its share of an over-budget answer by, for what else a refit changes (its clipped.sections, the reasons' note). */
const REFIT_MARGIN_BYTES = 2048;

/** Triage's answer for a decision: with the record write of its entry, for a playbook to start the playbook's part, and the kept event. */
function answerOf(decision: TriageDecision, times: { readonly startedAt: Date; readonly endedAt: Date }, retentionDays: number, kept: unknown): RecordedTriageDecision {
  const record = triageRecordWrite(decision, times, retentionDays);
  return {
    ...decision,
    kept,
    ...(record === undefined ? {} : { record }),
    ...(decision.outcome === 'start-playbook' ? { playbookDecision: playbookDecisionOf(decision) } : {}),
  };
}

/** The routing table of triage's environment, frozen; or, logged once, why it cannot be read. */
function routingTableOf(dependencies: TriageHandlerDependencies): RoutingTable | RoutingTableError {
  try {
    return deepFreeze(routingTableFromEnvironment(dependencies.environment));
  } catch (error) {
    if (!(error instanceof RoutingTableError)) throw error;
    dependencies.logger.error(`${error.message}: triage refuses every event until the deployment is fixed`);
    return error;
  }
}

/** Freezes a parsed table all the way down, so that no decision can change what the next one reads. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** The deployment's record retention, or the default (logged as an error) when the variable cannot be read. */
function triageRetentionDays(dependencies: TriageHandlerDependencies): number {
  try {
    return incidentRecordRetentionDaysFromEnv(dependencies.environment);
  } catch (error) {
    if (!(error instanceof IncidentRecordConfigError)) throw error;
    dependencies.logger.error(`${error.message}: triage records its entries with the default retention of ${DEFAULT_INCIDENT_RECORD_RETENTION_DAYS} days and goes on`);
    return DEFAULT_INCIDENT_RECORD_RETENTION_DAYS;
  }
}
