/** snapshot-volumes Lambda: preserves the incident instance's EBS volumes as evidence (logic in lib/responders/snapshot.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbEvidenceRecords } from '../../lib/responders/evidence-record';
import { KmsMac } from '../../lib/responders/record-mac';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { SfnInvocationOrigins } from '../../lib/responders/invocation-origin';
import { createResponderLogger } from '../../lib/responders/logging';
import { createSnapshotVolumesHandler } from '../../lib/responders/snapshot';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { snapshotMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

// Read at cold start: a function deployed without its table fails at once.
const stateTable = stateTableFromEnv();
const logger = createResponderLogger('snapshot-volumes');
// The volumes live in the finding's account: through the member role when one is configured.
const clients = ec2ClientsFor(targetAccessFromEnvironment());
// Step Functions: it acts only for the task its playbook execution scheduled (GetExecutionHistory, lib/responders/step-origin.ts).
const origins = new SfnInvocationOrigins(homeSfnClients().sfn());
// The sealed record of each snapshot it takes (row 3za): what it may reuse, and what copy-evidence may copy.
const records = new DynamoDbEvidenceRecords(homeDynamoDbClients().dynamodb(), stateTable, new KmsMac(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? ''));

/** Builds the handler over injected clients: the local game day runs exactly this with its simulated account. */
export const createHandler = createSnapshotVolumesHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('snapshot-volumes', recordedStep(RESPONDER_NAMES.snapshotVolumes, createHandler({ clients, records, origins, logger }), logger), { sink: createResponseMetricsSink('snapshot-volumes'), reading: snapshotMetrics });
