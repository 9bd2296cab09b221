/** copy-evidence Lambda: copies the incident's evidence snapshots to the forensic account with their chain of custody (logic in lib/responders/snapshot-copy.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { forensicAccessFromEnvironment, targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { SfnInvocationOrigins } from '../../lib/responders/invocation-origin';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { createResponderLogger } from '../../lib/responders/logging';
import { KmsMac } from '../../lib/responders/record-mac';
import { createCopyEvidenceHandler, forensicTargetFromEnv } from '../../lib/responders/snapshot-copy';
import { DynamoDbCustodyStore } from '../../lib/responders/snapshot-custody';
import { DynamoDbEvidenceRecords } from '../../lib/responders/evidence-record';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

// Read at cold start: a function deployed without its table, record key or forensic account fails at once.
const stateTable = stateTableFromEnv();
const target = forensicTargetFromEnv();
const logger = createResponderLogger('copy-evidence');
// The sources live in the finding's account (member role); the copies in the forensic account
// (forensic role, with the deployment's ExternalId when it has one).
const clients = ec2ClientsFor(targetAccessFromEnvironment());
const forensic = ec2ClientsFor(forensicAccessFromEnvironment(target));
// Step Functions: it acts only for the task its playbook execution scheduled (GetExecutionHistory, lib/responders/step-origin.ts).
const origins = new SfnInvocationOrigins(homeSfnClients().sfn());
const dynamodb = homeDynamoDbClients().dynamodb();
const recordKey = new KmsMac(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? '');
const custody = new DynamoDbCustodyStore(dynamodb, stateTable, recordKey);
// snapshot-volumes' sealed record of each evidence snapshot: only a source one names is copied (row 3za).
const evidence = new DynamoDbEvidenceRecords(dynamodb, stateTable, recordKey);

/** Builds the handler over injected clients and stores: the local game day runs exactly this. */
export const createHandler = createCopyEvidenceHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('copy-evidence', recordedStep(RESPONDER_NAMES.copyEvidence, createHandler({ clients, forensic, custody, evidence, target, origins, logger }), logger), { sink: createResponseMetricsSink('copy-evidence') });
