/** What the game-day backend's parts (prepare, inspect, cleanup) share: its own clients and records. */
import { FirebreakError } from '../../contracts/errors';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DescribeInstancesCommandOutput, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import type { FleetOperatorClients } from '../fleet-types';
import type { S3Client } from '@aws-sdk/client-s3';

/** The backend's own clients (setup, inspection, cleanup): never faulted or denied, not in the call log. */
export interface OperatorClients extends FleetOperatorClients {
  ec2(): Promise<EC2Client>;
  iam(): Promise<IAMClient>;
  sts(): Promise<STSClient>;
  sns(): SNSClient;
  sqs(): SQSClient;
  dynamodb(): DynamoDBClient;
  /** KMS in the deployment's account (its record and topic keys). */
  kms(): KMSClient;
  /** KMS in the environment's account (its buckets' keys): the deployment's unless it is a member account. */
  environmentKms(): Promise<KMSClient>;
  s3(): Promise<S3Client>;
  /** DNS Firewall, read by inspect() for `expect.dnsBlocked`. */
  route53resolver(): Promise<Route53ResolverClient>;
}

/** A resource prepare() created, for cleanup. */
export interface CreatedResource {
  readonly kind: 'vpc' | 'subnet' | 'security-group' | 'instance' | 'role' | 'user' | 'instance-profile' | 'topic' | 'queue' | 'table' | 'key' | 'environment-key' | 'elastic-ip' | 'bucket';
  readonly id: string;
}

/** A setup problem: the environment cannot be created as the scenario says (or the account cannot be used). */
export class EnvironmentSetupError extends FirebreakError {
  override readonly name = 'EnvironmentSetupError';
}

export interface BackendContext {
  /** The environment's account: its instances, users, buckets… */
  readonly account: string;
  /**
   * The account the deployment's own resources are in (topics, queues, state table, keys): the
   * operator's. The same as `account` unless the environment is a member account (settings.securityAccount).
   */
  readonly securityAccount: string;
  readonly region: string;
  /** Suffix of the names and marker tags of everything created. */
  readonly runId: string;
  /** Prefix of the deployment's own resources (`<prefix>-alerts`, `<prefix>-state`…). */
  readonly prefix: string;
  readonly clients: OperatorClients;
  readonly created: CreatedResource[];
  /** Polls `probe` until it answers (between polls the backend's clock moves: a real or a simulated wait). */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
  /** Where problems that do not stop the run are written. */
  report(line: string): void;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The error's code as the SDK names it (IAM's modeled codes carry an `Exception` suffix: EntityAlreadyExistsException). */
export function errorCode(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function instancesOf(answer: DescribeInstancesCommandOutput): Instance[] {
  return answer.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
}

/** The instances among `ids` that still exist (an `instance-id` filter: a gone instance is simply absent). */
export async function describeInstances(ec2: EC2Client, ids: readonly string[]): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>();
  for (let start = 0; start < ids.length; start += 1000) {
    let token: string | undefined;
    do {
      const answer = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids.slice(start, start + 1000) }], ...(token ? { NextToken: token } : {}) }),
      );
      for (const instance of instancesOf(answer)) found.set(instance.InstanceId as string, instance);
      token = answer.NextToken;
    } while (token);
  }
  return found;
}

/** Waits until every instance of `ids` is in one of `states`; returns them as last described. */
export async function waitForStates(context: BackendContext, ids: readonly string[], states: readonly string[]): Promise<Map<string, Instance>> {
  if (ids.length === 0) return new Map();
  const ec2 = await context.clients.ec2();
  return context.waitFor(`${ids.length === 1 ? ids[0] : `${ids.length} instances`} to be ${states.join(' or ')}`, async () => {
    const found = await describeInstances(ec2, ids);
    return ids.every((id) => states.includes(found.get(id)?.State?.Name ?? '')) ? found : undefined;
  });
}
