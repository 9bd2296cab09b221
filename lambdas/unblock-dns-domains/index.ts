/** unblock-dns-domains Lambda: takes back the DNS blocks of a released instance (logic in lib/responders/unblock-dns-domains.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { route53ResolverClientsFor } from '../../lib/aws/clients/route53resolver';
import { DynamoDbDnsBlockStore } from '../../lib/responders/dns-block-records';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { DynamoDbQuarantineReleaseStates } from '../../lib/responders/quarantine-release-state';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createUnblockDnsDomainsHandler } from '../../lib/responders/unblock-dns-domains';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('unblock-dns-domains');
const access = targetAccessFromEnvironment();
const clients = { ...ec2ClientsFor(access), ...route53ResolverClientsFor(access) };
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());

export const createHandler = createUnblockDnsDomainsHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('unblock-dns-domains', recordedStep(RESPONDER_NAMES.unblockDnsDomains, createHandler({ clients, logger, blocks: new DynamoDbDnsBlockStore(dynamodb, stateTable), records: new DynamoDbQuarantineReleaseStates(dynamodb, stateTable), grants: new DynamoDbGrantReader(dynamodb, stateTable, executions) }), logger, dynamodb), { sink: createResponseMetricsSink('unblock-dns-domains') });
