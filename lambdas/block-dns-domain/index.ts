/** block-dns-domain Lambda: blocks a DNS finding's domain for the instance's VPC (logic in lib/responders/block-dns-domain.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { route53ResolverClientsFor } from '../../lib/aws/clients/route53resolver';
import { createBlockDnsDomainHandler } from '../../lib/responders/block-dns-domain';
import { DynamoDbDnsBlockStore } from '../../lib/responders/dns-block-records';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('block-dns-domain');
// EC2 (the instance's VPC) and Route 53 Resolver in the served accounts; DynamoDB in the security account.
const access = targetAccessFromEnvironment();
const clients = { ...ec2ClientsFor(access), ...route53ResolverClientsFor(access) };
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());

export const createHandler = createBlockDnsDomainHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('block-dns-domain', recordedStep(RESPONDER_NAMES.blockDnsDomain, createHandler({ clients, logger, blocks: new DynamoDbDnsBlockStore(dynamodb, stateTable), grants: new DynamoDbGrantReader(dynamodb, stateTable, executions) }), logger, dynamodb), { sink: createResponseMetricsSink('block-dns-domain') });
