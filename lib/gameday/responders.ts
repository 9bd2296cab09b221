/**
 * The real responder handlers, built in-process for the local engine. Each entry is the same
 * factory the Lambda's `index.ts` exports as `createHandler`, fed what the Lambda's module scope
 * would build from its environment (the variables the stack sets), but with the game day's SDK
 * clients and clock. The Lambda modules themselves are not imported: their module scope reads
 * `process.env` and would fail (or talk to AWS) outside Lambda.
 */
import type { ClientFactory } from '../aws/clients';
import { ServedAccountClientFactory, requireServedAccounts } from '../aws/member-accounts';
import { createTriageHandler } from '../responders/triage-handler';
import { alertTopicArnFromEnv, createPublishAlertHandler } from '../responders/alert';
import { createContainmentGuardHandler, readContainmentGuardConfig } from '../responders/containment-guard';
import { DynamoDbGrantStore, releaseGrantCheck } from '../responders/grants';
import { silentLogger } from '../responders/logging';
import { createQuarantineInstanceHandler } from '../responders/quarantine';
import { DynamoDbQuarantineRecordStore } from '../responders/quarantine-records';
import { createReleaseInstanceHandler } from '../responders/release';
import { ApprovalReleaseClearance } from '../responders/release-clearance';
import { DynamoDbApprovalStore } from '../responders/approval-records';
import { KmsRecordSealer } from '../responders/record-integrity';
import { SECURITY_ENV } from '../contracts/security';
import { createSnapshotVolumesHandler } from '../responders/snapshot';
import type { GameDayClients } from './backend';

/** What a local responder is built from: the role's clients, the Lambda environment, the clock. */
export interface LocalResponderRuntime {
  readonly clients: GameDayClients;
  /** The environment variables the stack gives every responder (ALERT_TOPIC_ARN, FIREBREAK_STATE_TABLE…). */
  readonly environment: Readonly<Record<string, string>>;
  readonly now: () => Date;
}

/** A Lambda handler: its event in, its return value out (or a thrown error). */
export type LocalHandler = (event: unknown) => Promise<unknown>;

/** A responder with no local factory (a new responder this registry does not know yet). */
export class UnknownResponderError extends Error {
  override readonly name = 'UnknownResponderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The state table of the deployment (FIREBREAK_STATE_TABLE). */
function stateTable(environment: Readonly<Record<string, string>>): string {
  return environment.FIREBREAK_STATE_TABLE ?? '';
}

/**
 * The clients a responder that acts in the incident's account gets: only the accounts the
 * deployment serves, as in Lambda (lib/aws/member-accounts.ts clientFactoryFromEnvironment).
 */
function servedClients(clients: GameDayClients, environment: Readonly<Record<string, string>>): ClientFactory {
  return new ServedAccountClientFactory(clients, requireServedAccounts(environment));
}

const FACTORIES: Readonly<Record<string, (runtime: LocalResponderRuntime) => LocalHandler>> = {
  triage: ({ environment }) => createTriageHandler({ logger: silentLogger, environment }),
  'publish-alert': ({ clients, environment, now }) =>
    createPublishAlertHandler({
      clients,
      logger: silentLogger,
      topicArn: alertTopicArnFromEnv(environment),
      approvals: new DynamoDbApprovalStore(clients.dynamodb(), environment.FIREBREAK_STATE_TABLE ?? ''),
      environment,
      now,
    }),
  'snapshot-volumes': ({ clients, environment, now }) =>
    createSnapshotVolumesHandler({ clients: servedClients(clients, environment), logger: silentLogger, environment, now }),
  'quarantine-instance': ({ clients, environment, now }) =>
    createQuarantineInstanceHandler({
      clients: servedClients(clients, environment),
      logger: silentLogger,
      records: new DynamoDbQuarantineRecordStore(clients.dynamodb(), stateTable(environment)),
      ...(environment[SECURITY_ENV.recordKey] ? { sealer: new KmsRecordSealer(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '') } : {}),
      grants: new DynamoDbGrantStore(clients.dynamodb(), stateTable(environment)),
      environment,
      now,
    }),
  'release-instance': ({ clients, environment, now }) =>
    createReleaseInstanceHandler({
      clients: servedClients(clients, environment),
      logger: silentLogger,
      records: new DynamoDbQuarantineRecordStore(clients.dynamodb(), stateTable(environment)),
      ...(environment[SECURITY_ENV.recordKey] ? { sealer: new KmsRecordSealer(clients.kms(), environment[SECURITY_ENV.recordKey] ?? '') } : {}),
      // The guard's release grant of the execution (lib/responders/grants.ts), then its approval.
      clearance: new ApprovalReleaseClearance(
        new DynamoDbApprovalStore(clients.dynamodb(), stateTable(environment)),
        releaseGrantCheck(new DynamoDbGrantStore(clients.dynamodb(), stateTable(environment)), now),
      ),
      environment,
      now,
    }),
  'containment-guard': ({ clients, environment, now }) =>
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
  return factory(runtime);
}
