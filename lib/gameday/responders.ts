/**
 * The real responder handlers, built in-process for the local engine. Each entry is the same
 * factory the Lambda's `index.ts` exports as `createHandler`, fed what the Lambda's module scope
 * would build from its environment (the variables the stack sets), but with the game day's SDK
 * clients and clock. The Lambda modules themselves are not imported: their module scope reads
 * `process.env` and would fail (or talk to AWS) outside Lambda.
 */
import type { ClientFactory } from '../aws/clients';
import { ServedAccountClientFactory, assertServedAccount, requireServedAccounts } from '../aws/member-accounts';
import { servedFleetClients } from '../aws/served-fleet-clients';
import type { Route53ResolverClients } from '../aws/clients/route53resolver';
import type { S3Clients } from '../aws/clients/s3';
import type { SecurityHubClients } from '../aws/clients/securityhub';
import { createUpdateSecurityHubFindingHandler } from '../responders/update-security-hub-finding';
import { DynamoDbSecurityHubFindingRecords } from '../responders/security-hub-records';
import { createQuarantineS3ObjectHandler } from '../responders/quarantine-s3-object';
import { DynamoDbQuarantineCopyRecords } from '../responders/quarantine-copy-records';
import { createReleaseS3ObjectHandler } from '../responders/release-s3-object';
import { DynamoDbS3ObjectClaims } from '../responders/s3-object-claims';
import { createBlockDnsDomainHandler } from '../responders/block-dns-domain';
import { DynamoDbDnsBlockStore } from '../responders/dns-block-records';
import { createUnblockDnsDomainsHandler } from '../responders/unblock-dns-domains';
import { DynamoDbQuarantineReleaseStates } from '../responders/quarantine-release-state';
import { createDisableAccessKeyHandler } from '../responders/disable-access-key';
import { createRevokeRoleSessionsHandler } from '../responders/revoke-role-sessions';
import { createReleaseCredentialsHandler, releaseCredentialsOptionsSchema } from '../responders/release-credentials';
import { DynamoDbCredentialRecordStore } from '../responders/credential-record-store';
import { SECURITY_ENV } from '../contracts/security';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { createTriageHandler } from '../responders/triage-handler';
import { SfnDispatcherStarts, createOversizedEventHandler, dispatcherArnFromEnv } from '../responders/oversized-event';
import { GuardDutyFindingSource } from '../responders/finding-confirmation';
import { alertTopicArnFromEnv, backupTopicArnFromEnv, createPublishAlertHandler } from '../responders/alert';
import { SfnAlertOrigins } from '../responders/alert-origin';
import { SfnInvocationOrigins } from '../responders/invocation-origin';
import { DynamoDbApprovalStore } from '../responders/approval-records';
import { SfnApprovalRequestExecutions } from '../responders/approval-request';
import { createContainmentGuardHandler, readContainmentGuardConfig } from '../responders/containment-guard';
import { DynamoDbGrantReader, DynamoDbReleaseGrantReader, releaseGrantCheck } from '../responders/grants';
import { SfnExecutionStatusReader } from '../responders/execution-status';
import { silentLogger } from '../responders/logging';
import { quarantineResponder } from '../responders/quarantine';
import { DynamoDbQuarantineRecordReleaseStore } from '../responders/quarantine-records';
import { KmsMac, KmsRecordSealer } from '../responders/record-integrity';
import { copyEvidenceResponder, forensicTargetFromEnv } from '../responders/snapshot-copy';
import { DynamoDbCustodyStore } from '../responders/snapshot-custody';
import { DynamoDbEvidenceRecords } from '../responders/evidence-record';
import { releaseOptionsSchema, releaseResponder } from '../responders/release';
import { ApprovalReleaseClearance } from '../responders/release-clearance';
import { createResponderHandler } from '../responders/runtime';
import { DynamoDbIncidentRecords, incidentRecordRetentionDaysFromEnv, recordingHandler } from '../responders/incident-record';
import { snapshotResponder } from '../responders/snapshot';
import { stateTableFromEnv } from '../responders/state-table';
import type { GameDayClients } from './backend';
import { FirebreakError } from '../contracts/errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import { sha256Hex } from '../incident/keys';
import { deployedStepsOf } from '../responders/step-binding';

/** What a local responder is built from: the role's clients, the Lambda environment, the clock. */
export interface LocalResponderRuntime {
  readonly clients: GameDayClients;
  /** The environment variables the stack gives every responder (ALERT_TOPIC_ARN, FIREBREAK_STATE_TABLE…). */
  readonly environment: Readonly<Record<string, string>>;
  readonly now: () => Date;
  /**
   * Clients of the same role that reach other accounts through `roleName` there (the forensic role,
   * a session revoker), sending `externalId` with each AssumeRole as the function's environment says,
   * when the backend models it.
   */
  readonly throughRole?: (roleName: string, sessionName: string, externalId?: string) => ClientFactory;
}

/** A Lambda handler: its event in, its return value out (or a thrown error). */
export type LocalHandler = (event: unknown) => Promise<unknown>;

/** A responder with no local factory (a new responder this registry does not know yet). */
export class UnknownResponderError extends FirebreakError {
  override readonly name = 'UnknownResponderError';
}

/**
 * The clients a responder that acts in the incident's account gets: only the accounts the
 * deployment serves, as in Lambda (lib/aws/clients/environment.ts targetAccessFromEnvironment).
 */
function servedClients(clients: GameDayClients, environment: Readonly<Record<string, string>>): ClientFactory {
  return new ServedAccountClientFactory(clients, requireServedAccounts(environment));
}

/**
 * IAM as the Lambdas that write role policies reach it (lib/aws/clients/iam.ts iamClientsFor): in a
 * member account through the session-revoker role the member-role stack deploys there (the member
 * role itself, when the deployment names no other), never through the member role's grants.
 */
function sessionRevokerIam({ clients, environment, throughRole }: LocalResponderRuntime): Pick<ClientFactory, 'iam'> {
  const memberRole = environment[SECURITY_ENV.memberRoleName];
  const revoker = environment[SECURITY_ENV.sessionRevokerRoleName] ?? memberRole;
  const externalId = environment[DEPLOYMENT_ENV.memberRoleExternalId];
  const served = new ServedAccountClientFactory(revoker !== undefined && throughRole ? throughRole(revoker, 'firebreak-responder', externalId) : clients, requireServedAccounts(environment));
  return { iam: (target) => served.iam(target) };
}

/**
 * The grants and approvals in the state table, and whether their execution runs (the role's own
 * DescribeExecution, evaluated against its policy), as every granted Lambda reads them.
 */
function grantReader(clients: GameDayClients, table: string): DynamoDbGrantReader {
  return new DynamoDbGrantReader(clients.dynamodb(), table, new SfnExecutionStatusReader(clients.sfn()));
}

/** The served clients plus Auto Scaling and ELB, for the responders that act on fleets (quarantine, release). */
function servedFleetResponderClients(clients: GameDayClients, environment: Readonly<Record<string, string>>) {
  const served = servedClients(clients, environment);
  return {
    ec2: (target: Parameters<ClientFactory['ec2']>[0]) => served.ec2(target),
    iam: (target: Parameters<ClientFactory['iam']>[0]) => served.iam(target),
    ...servedFleetClients(clients, requireServedAccounts(environment)),
  };
}

/** The served EC2 and Route 53 Resolver clients and the stores the DNS Firewall Lambdas build at module scope. */
function dnsFirewallDeps({ clients, environment, now }: LocalResponderRuntime) {
  const served = servedClients(clients, environment);
  const accounts = requireServedAccounts(environment);
  const resolver: Route53ResolverClients = {
    route53resolver: async (target) => {
      assertServedAccount(target.account, accounts, target.findingAccount);
      return clients.route53resolver(target);
    },
  };
  const table = stateTableFromEnv(environment);
  return {
    clients: { ec2: served.ec2.bind(served), ...resolver },
    logger: silentLogger,
    blocks: new DynamoDbDnsBlockStore(clients.dynamodb(), table),
    grants: grantReader(clients, table),
    environment,
    now,
  };
}

/** The served S3 clients and the grant store the S3 object Lambdas build at module scope. */
function s3ObjectDeps({ clients, environment, now }: LocalResponderRuntime) {
  const accounts = requireServedAccounts(environment);
  const s3: S3Clients = {
    s3: async (target) => {
      assertServedAccount(target.account, accounts, target.findingAccount);
      return clients.s3(target);
    },
  };
  const table = stateTableFromEnv(environment);
  // The grants and the object versions' claims in the state table, as the Lambdas keep them.
  return { clients: s3, logger: silentLogger, grants: grantReader(clients, table), claims: new DynamoDbS3ObjectClaims(clients.dynamodb(), table), environment, now };
}

/** What the credential Lambdas build at module scope: IAM through the served accounts, grants and sealed records in the state table. */
function credentialDeps({ clients, environment, now }: LocalResponderRuntime) {
  const table = stateTableFromEnv(environment);
  return {
    clients: servedClients(clients, environment),
    logger: silentLogger,
    grants: grantReader(clients, table),
    records: new DynamoDbCredentialRecordStore(clients.dynamodb(), table, new KmsMac(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '')),
    environment,
    now,
  };
}

/** What the quarantine and release Lambdas build at module scope from the state table and the record key. */
function recordStores({ clients, environment }: LocalResponderRuntime) {
  const table = stateTableFromEnv(environment);
  const recordKey = environment[SECURITY_ENV.recordKey];
  return {
    table,
    // The release side of the store, which quarantine uses only for its own side (as its Lambda does).
    records: new DynamoDbQuarantineRecordReleaseStore(clients.dynamodb(), table),
    grants: grantReader(clients, table),
    ...(recordKey ? { sealer: new KmsRecordSealer(clients.kms(), recordKey) } : {}),
  };
}

const FACTORIES: Readonly<Record<string, (runtime: LocalResponderRuntime) => LocalHandler>> = {
  // The copies it made in the state table, as the Lambda keeps them.
  [RESPONDER_NAMES.quarantineS3Object]: (runtime) =>
    createQuarantineS3ObjectHandler({
      ...s3ObjectDeps(runtime),
      copies: new DynamoDbQuarantineCopyRecords(runtime.clients.dynamodb(), stateTableFromEnv(runtime.environment)),
    }),
  [RESPONDER_NAMES.releaseS3Object]: (runtime) => createReleaseS3ObjectHandler(s3ObjectDeps(runtime)),
  [RESPONDER_NAMES.triage]: ({ environment, now }) => createTriageHandler({ logger: silentLogger, environment, now }),
  [RESPONDER_NAMES.publishAlert]: ({ clients, environment, now }) => {
    const backupTopicArn = backupTopicArnFromEnv(environment);
    return createPublishAlertHandler({
      clients,
      logger: silentLogger,
      topicArn: alertTopicArnFromEnv(environment),
      ...(backupTopicArn !== undefined ? { backupTopicArn } : {}),
      approvals: new DynamoDbApprovalStore(clients.dynamodb(), stateTableFromEnv(environment)),
      approvalExecutions: new SfnApprovalRequestExecutions(clients.sfn()),
      // As the Lambda: every alert is checked against the history of the execution it names.
      origins: new SfnAlertOrigins(clients.sfn()),
      environment,
      now,
    });
  },
  [RESPONDER_NAMES.snapshotVolumes]: ({ clients, environment, now }) =>
    // As the Lambda: it acts only for the task its execution's history shows (lib/responders/step-origin.ts).
    createResponderHandler(snapshotResponder, {
      clients: servedClients(clients, environment),
      // As the Lambda: the sealed record of each snapshot it takes, in the state table (row 3za).
      records: new DynamoDbEvidenceRecords(clients.dynamodb(), stateTableFromEnv(environment), new KmsMac(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '')),
      origins: new SfnInvocationOrigins(clients.sfn()),
      logger: silentLogger,
      environment,
      now,
    }),
  [RESPONDER_NAMES.copyEvidence]: ({ clients, environment, now, throughRole }) => {
    // As the Lambda: the sources through the served accounts' clients, the copies through the
    // forensic role assumed in the forensic account, with the deployment's ExternalId when it has
    // one (lambdas/copy-evidence/index.ts).
    const target = forensicTargetFromEnv(environment);
    return createResponderHandler(copyEvidenceResponder, {
      clients: servedClients(clients, environment),
      forensic: throughRole?.(target.roleName, 'copy-evidence', target.externalId) ?? clients,
      custody: new DynamoDbCustodyStore(clients.dynamodb(), stateTableFromEnv(environment), new KmsMac(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '')),
      evidence: new DynamoDbEvidenceRecords(clients.dynamodb(), stateTableFromEnv(environment), new KmsMac(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '')),
      target,
      origins: new SfnInvocationOrigins(clients.sfn()),
      logger: silentLogger,
      environment,
      now,
    });
  },
  [RESPONDER_NAMES.quarantineInstance]: (runtime) => {
    const { records, grants, sealer } = recordStores(runtime);
    const { clients, environment, now } = runtime;
    // Seeded isolation-group suffixes (the responder's are random): two runs of a scenario name the same groups.
    let created = 0;
    return createResponderHandler(quarantineResponder, {
      // Its IAM calls (revokeRoleSessions) through the session revoker, as the Lambda's.
      clients: { ...servedFleetResponderClients(clients, environment), ...sessionRevokerIam(runtime) },
      logger: silentLogger,
      records,
      grants,
      ...(sealer ? { sealer } : {}),
      environment,
      now,
      groupNaming: { newSuffix: () => sha256Hex(`game-day isolation group ${(created += 1)}`).slice(0, 8) },
    });
  },
  [RESPONDER_NAMES.releaseInstance]: (runtime) => {
    const { table, records, sealer } = recordStores(runtime);
    const { clients, environment, now } = runtime;
    return createResponderHandler(releaseResponder, {
      clients: servedFleetResponderClients(clients, environment),
      logger: silentLogger,
      records,
      ...(sealer ? { sealer } : {}),
      // The guard's release grant of the execution (lib/responders/grants.ts), then its approval.
      clearance: new ApprovalReleaseClearance(new DynamoDbApprovalStore(clients.dynamodb(), table), releaseGrantCheck(new DynamoDbReleaseGrantReader(clients.dynamodb(), table, new SfnExecutionStatusReader(clients.sfn())), RESPONDER_NAMES.releaseInstance, deployedStepsOf(environment, releaseOptionsSchema), now)),
      environment,
      now,
    });
  },
  [RESPONDER_NAMES.blockDnsDomain]: (runtime) => createBlockDnsDomainHandler(dnsFirewallDeps(runtime)),
  // It reads whether the pre-quarantine record is released, as the Lambda does.
  [RESPONDER_NAMES.unblockDnsDomains]: (runtime) =>
    createUnblockDnsDomainsHandler({ ...dnsFirewallDeps(runtime), records: new DynamoDbQuarantineReleaseStates(runtime.clients.dynamodb(), stateTableFromEnv(runtime.environment)) }),
  // IAM through the served accounts' clients; grants from the state table, as the Lambdas build them.
  [RESPONDER_NAMES.disableAccessKey]: (runtime) => createDisableAccessKeyHandler(credentialDeps(runtime)),
  // EC2 (the protected instances holding the role, row 2x) through the served accounts' clients, as the Lambda's member role.
  [RESPONDER_NAMES.revokeRoleSessions]: (runtime) => {
    const deps = credentialDeps(runtime);
    return createRevokeRoleSessionsHandler({ ...deps, clients: sessionRevokerIam(runtime), ec2Clients: deps.clients });
  },
  [RESPONDER_NAMES.releaseCredentials]: (runtime) => {
    const deps = credentialDeps(runtime);
    return createReleaseCredentialsHandler({
      ...deps,
      revokerClients: sessionRevokerIam(runtime),
      // The guard's release grant of the execution, then its approval, as the Lambda builds them.
      clearance: new ApprovalReleaseClearance(new DynamoDbApprovalStore(runtime.clients.dynamodb(), stateTableFromEnv(runtime.environment)), releaseGrantCheck(deps.grants, RESPONDER_NAMES.releaseCredentials, deployedStepsOf(runtime.environment, releaseCredentialsOptionsSchema), runtime.now)),
    });
  },
  // Security Hub in the finding's account, through the served accounts only (as the Lambda's member-role clients).
  [RESPONDER_NAMES.updateSecurityHubFinding]: ({ clients, environment, now }) => {
    const accounts = requireServedAccounts(environment);
    const securityhub: SecurityHubClients = {
      securityhub: async (target) => {
        assertServedAccount(target.account, accounts, target.findingAccount);
        return clients.securityhub(target);
      },
    };
    const table = stateTableFromEnv(environment);
    const records = new DynamoDbSecurityHubFindingRecords(clients.dynamodb(), table);
    return createUpdateSecurityHubFindingHandler({ clients: securityhub, records, grants: grantReader(clients, table), origins: new SfnInvocationOrigins(clients.sfn()), logger: silentLogger, environment, now });
  },
  // Not a step: every rule's second target, invoked by EventBridge (the runner), never by a state machine.
  [RESPONDER_NAMES.oversizedEvent]: ({ clients, environment }) =>
    createOversizedEventHandler({
      dispatcher: new SfnDispatcherStarts(clients.sfn(), dispatcherArnFromEnv(environment)),
      findings: new GuardDutyFindingSource(clients),
      logger: silentLogger,
    }),
  [RESPONDER_NAMES.containmentGuard]: ({ clients, environment, now }) =>
    createContainmentGuardHandler({
      clients: servedClients(clients, environment),
      logger: silentLogger,
      config: readContainmentGuardConfig(environment),
      now,
    }),
};

/** Responders the local engine can run. */
export const LOCAL_RESPONDERS: readonly string[] = Object.keys(FACTORIES);

/** Builds the real handler of `responder` over the game day's clients. */
export function buildLocalResponder(responder: string, runtime: LocalResponderRuntime): LocalHandler {
  const factory = FACTORIES[responder];
  if (!factory) {
    throw new UnknownResponderError(`the local engine has no handler for responder '${responder}'; known: ${LOCAL_RESPONDERS.join(', ')}`);
  }
  const handler = factory(runtime);
  // As in Lambda (lambdas/*/index.ts recordedStep): every step but triage appends to the incident record (triage's entry is written by the dispatcher: lib/responders/triage-record.ts).
  // The oversized-event intake is no step: it records nothing.
  if (responder === RESPONDER_NAMES.triage || responder === RESPONDER_NAMES.oversizedEvent) return handler;
  const { clients, environment, now } = runtime;
  const records = new DynamoDbIncidentRecords(clients.dynamodb(), stateTableFromEnv(environment), incidentRecordRetentionDaysFromEnv(environment));
  return recordingHandler(responder, handler, { records, now, logger: silentLogger });
}
