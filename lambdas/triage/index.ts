/** triage Lambda: parses one event and picks the playbook, mode and reasons (logic in lib/responders/triage-handler.ts and lib/playbooks/triage.ts). */
import { createTriageHandler } from '../../lib/responders/triage-handler';
import { createResponderLogger } from '../../lib/responders/logging';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { triageMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';

const logger = createResponderLogger('triage');

/** Builds the handler over an injected logger: the local game day runs exactly this. */
export const createHandler = createTriageHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('triage', createHandler({ logger, environment: process.env }), { sink: createResponseMetricsSink('triage'), reading: triageMetrics });
