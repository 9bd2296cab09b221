/** containment-guard Lambda: the safety rails before a playbook's resource-changing steps (logic in lib/responders/containment-guard.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { memberIamClientsFor } from '../../lib/aws/clients/iam';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { createContainmentGuardHandler, readContainmentGuardConfig } from '../../lib/responders/containment-guard';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { guardMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

// Read at cold start: a function deployed without its table or with bad rails fails at once. The
// table the counter and the grants use is the one stateTableFromEnv checked, not a second reading.
const config = { ...readContainmentGuardConfig(process.env), stateTable: stateTableFromEnv() };
const logger = createResponderLogger('containment-guard');
// EC2 and IAM in the served accounts (the instance's or the credential's tags, IAM through the
// member role), Step Functions (the execution), DynamoDB (counter, grants).
const access = targetAccessFromEnvironment();
const clients = { ...ec2ClientsFor(access), ...memberIamClientsFor(access), ...homeSfnClients(), ...homeDynamoDbClients() };

/** Builds the handler over injected clients: the local game day runs exactly this with its simulated account. */
export const createHandler = createContainmentGuardHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('containment-guard', recordedStep(RESPONDER_NAMES.containmentGuard, createHandler({ clients, logger, config }), logger), { sink: createResponseMetricsSink('containment-guard'), reading: guardMetrics });
