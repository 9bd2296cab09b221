/** triage Lambda: parses one event and picks the playbook, mode and reasons (logic in lib/responders/triage-handler.ts and lib/playbooks/triage.ts). */
import { createTriageHandler } from '../../lib/responders/triage-handler';
import { createResponderLogger } from '../../lib/responders/logging';

const logger = createResponderLogger('triage');

/** Builds the handler over an injected logger: the local game day runs exactly this. */
export const createHandler = createTriageHandler;
export const handler = createHandler({ logger, environment: process.env });
