/** containment-guard Lambda: the safety rails before a playbook's resource-changing steps (logic in lib/responders/containment-guard.ts). */
import { clientFactoryFromEnvironment } from '../../lib/aws/member-accounts';
import { createContainmentGuardHandler, readContainmentGuardConfig } from '../../lib/responders/containment-guard';
import { createResponderLogger } from '../../lib/responders/logging';

const logger = createResponderLogger('containment-guard');
const clients = clientFactoryFromEnvironment();

/** Builds the handler over injected clients: the local game day runs exactly this with its simulated account. */
export const createHandler = createContainmentGuardHandler;
export const handler = createHandler({ clients, logger, config: readContainmentGuardConfig(process.env) });
