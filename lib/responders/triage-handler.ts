/**
 * The triage Lambda's handler: it parses the raw event and calls the pure `triage`
 * (lib/playbooks/triage.ts). It never throws for a bad event (the dispatcher alerts and keeps it),
 * but refuses a malformed routing table (a deployment bug).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { servedAccountsFromEnvironment } from '../contracts/security';
import type { Incident } from '../incident/model';
import { EventParseError, parseEvent } from '../incident/parse';
import { parseRoutingTable, RoutingTableError } from '../playbooks/routing';
import type { TriageDecision, TriageDeployment } from '../playbooks/triage';
import { invalidEventDecision, triage } from '../playbooks/triage';
import { incidentLoggerFrom } from './handler-logger';
import type { IncidentLogger } from './logging';

/**
 * What the dispatcher sends the triage Lambda: `{ event, routing, receivedAt? }`, `receivedAt`
 * being when the event reached Firebreak (ISO 8601; defaults to now). The event is parsed on its own.
 */
const triageEnvelopeSchema = z.looseObject({
  routing: z.unknown(),
  receivedAt: z.iso.datetime({ offset: true }).optional(),
});

export interface TriageHandlerDependencies {
  readonly logger: Logger | IncidentLogger;
  /**
   * The triage Lambda's environment (the stack's variables): FIREBREAK_SECURITY_ACCOUNT_ID,
   * FIREBREAK_SERVED_ACCOUNT_IDS, FIREBREAK_ORGANIZATION_ID, FIREBREAK_MEMBER_ROLE_NAME. Without a
   * readable security account id every incident is refused (alerted, never acted upon).
   */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/**
 * The triage Lambda's logic. A bad event yields outcome `invalid` (never a throw: the dispatcher
 * alerts and dead-letters it); a malformed routing table or input throws `RoutingTableError`.
 */
export function createTriageHandler(dependencies: TriageHandlerDependencies): (input: unknown) => Promise<TriageDecision> {
  // Read once: the environment is the deployment's, fixed for the life of the function.
  const deployment: TriageDeployment = { servedAccounts: servedAccountsFromEnvironment(dependencies.environment) };
  return async (input: unknown) => {
    const envelope = triageEnvelopeSchema.safeParse(input);
    if (!envelope.success) {
      throw new RoutingTableError(`malformed triage input: ${envelope.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const routing = parseRoutingTable(envelope.data.routing);
    const event = (input as { event?: unknown }).event;
    const receivedAt = envelope.data.receivedAt === undefined ? undefined : new Date(envelope.data.receivedAt);
    let incident: Incident;
    try {
      incident = parseEvent(event, receivedAt === undefined ? {} : { receivedAt });
    } catch (error) {
      // parseEvent promises EventParseError only; anything else is wrapped so no event is lost.
      const refusal = error instanceof EventParseError ? error : new EventParseError([{ path: '(root)', expected: 'an event the parser can read' }], { cause: error });
      const logger = incidentLoggerFrom(dependencies.logger, 'unparsed-event');
      logger.warn('event refused', { issues: refusal.issues });
      return invalidEventDecision(refusal);
    }
    const decision = triage(incident, routing, deployment);
    incidentLoggerFrom(dependencies.logger, incident.key).info('triage decision', {
      outcome: decision.outcome,
      playbook: decision.playbook,
      mode: decision.mode,
      executionName: decision.executionName,
    });
    return decision;
  };
}
