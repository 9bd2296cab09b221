/** oversized-event Lambda: dispatches a clipped copy of any event too large for the dispatcher target (logic in lib/responders/oversized-event.ts). */
import { homeGuardDutyClients } from '../../lib/aws/clients/guardduty';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { GuardDutyFindingSource } from '../../lib/responders/finding-confirmation';
import { createResponderLogger } from '../../lib/responders/logging';
import { SfnDispatcherStarts, createOversizedEventHandler, dispatcherArnFromEnv } from '../../lib/responders/oversized-event';

// Read at cold start: a function deployed without the dispatcher's ARN fails at once, naming the variable.
const dispatcher = new SfnDispatcherStarts(homeSfnClients().sfn(), dispatcherArnFromEnv(process.env));
// One per container: it keeps each region's detector id once listed.
const findings = new GuardDutyFindingSource(homeGuardDutyClients());
const logger = createResponderLogger('oversized-event');

/** Builds the handler over an injected dispatcher and logger: the local game day runs exactly this. */
export const createHandler = createOversizedEventHandler;
export const handler = createHandler({ dispatcher, findings, logger });
