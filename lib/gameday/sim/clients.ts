/**
 * The simulated account's SDK clients: real SDK v3 clients signed with credentials the simulator
 * issued and wired to it (wire.ts), cached per account and region, reaching another account by
 * sts:AssumeRole into its member role with the responders' own code (MemberRoleAccess: the session
 * name and length, the ExternalId, the cache, the error a refusal becomes), as the deployed stack does.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { RetryStrategyV2 } from '@smithy/types';
import type { AwsTarget, ClientFactory } from '../../aws/clients';
import type { AutoScalingClients } from '../../aws/clients/autoscaling';
import type { LoadBalancingClients } from '../../aws/clients/load-balancing';
import { MemberRoleAccess } from '../../aws/clients/member-role';
import type { RoleRecord } from './model';
import type { WirableClient, WireMode } from './wire';

/** What the clients need of the simulated account. */
export interface ClientSource {
  readonly defaultAccount: string;
  readonly defaultRegion: string;
  now(): Date;
  /** The role behind a role ARN (created, trusting nobody, when missing). */
  roleForArn(principalArn: string): RoleRecord;
  credentialsFor(principalArn: string): Session;
  attach<C extends WirableClient>(client: C, options?: { readonly wire?: WireMode }): C;
  /** The SDK's standard retry decisions with the backoff on the simulated clock. */
  retryStrategy(maxAttempts: number): RetryStrategyV2;
}

export interface SimulatedClientFactoryOptions {
  /** The role the responders run as (default `arn:aws:iam::<defaultAccount>:role/firebreak-responder`). */
  readonly principal?: string;
  /** Region of the security-account services: SNS, Step Functions, DynamoDB, SQS, EventBridge (default the sim's). */
  readonly homeRegion?: string;
  /**
   * When set, another account is reached as the deployed stack reaches it: sts:AssumeRole into
   * `arn:aws:iam::<account>:role/<memberRoleName>` (cached until it expires); a refusal surfaces as
   * MemberRoleUnavailableError. When unset, every account is reached directly as the same role name.
   */
  readonly memberRoleName?: string;
  readonly externalId?: string;
  /** RoleSessionName for the member role (default `firebreak-responder`). */
  readonly roleSessionName?: string;
  /**
   * `simulated` (default): the SDK's standard retry decisions (3 attempts, throttling and
   * transient errors only) with the backoff taken on the simulated clock; `sdk`: the SDK's own
   * strategy with its real, random sleeps.
   */
  readonly retry?: 'simulated' | 'sdk';
  readonly maxAttempts?: number;
  /** `fast` (default): successful first attempts skip the SDK's serialization and signing; `full`: every call takes the whole pipeline. */
  readonly wire?: WireMode;
}

/** The ClientFactory of lib/aws/clients.ts, answered by the simulated account, plus the other clients a game day needs. */
export interface SimulatedClientFactory extends ClientFactory, AutoScalingClients, LoadBalancingClients {
  readonly principal: string;
  sts(target?: AwsTarget): Promise<STSClient>;
  sqs(): SQSClient;
  eventBridge(): EventBridgeClient;
  /** KMS in the security account (the record key). */
  kms(): KMSClient;
  /** KMS in another account and region (a member account's own keys, such as its buckets'). */
  kmsIn(target: AwsTarget): Promise<KMSClient>;
  /** Route 53 Resolver (DNS Firewall) in the incident's account. */
  route53resolver(target: AwsTarget): Promise<Route53ResolverClient>;
  /** S3 in the bucket owner's account. */
  s3(target: AwsTarget): Promise<S3Client>;
  /** Security Hub in the finding's account and region. */
  securityhub(target: AwsTarget): Promise<SecurityHubClient>;
  /** GuardDuty of the security account (the delegated administrator) in `region`: the oversized-event intake's GetFindings. */
  guardduty(region: string): GuardDutyClient;
}

type ClientKind = 'ec2' | 'iam' | 'sns' | 'sfn' | 'dynamodb' | 'sts' | 'sqs' | 'events' | 'kms' | 'autoscaling' | 'elbv2' | 'elb' | 'route53resolver' | 's3' | 'securityhub' | 'guardduty';

const CLIENT_CLASSES = {
  ec2: EC2Client,
  iam: IAMClient,
  sns: SNSClient,
  sfn: SFNClient,
  dynamodb: DynamoDBClient,
  sts: STSClient,
  sqs: SQSClient,
  events: EventBridgeClient,
  kms: KMSClient,
  autoscaling: AutoScalingClient,
  elbv2: ElasticLoadBalancingV2Client,
  elb: ElasticLoadBalancingClient,
  route53resolver: Route53ResolverClient,
  s3: S3Client,
  securityhub: SecurityHubClient,
  guardduty: GuardDutyClient,
} as const;

type ClientOf<K extends ClientKind> = InstanceType<(typeof CLIENT_CLASSES)[K]>;

export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt?: number;
}

export const DEFAULT_RESPONDER_ROLE = 'firebreak-responder';


/** Credentials a simulated client signs with: a session of its own, or a provider asked at every call. */
type ClientCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string } | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration?: Date }>);

function clientWith<K extends ClientKind>(
  sim: ClientSource,
  kind: K,
  session: ClientCredentials,
  region: string,
  { retry, maxAttempts, wire }: { retry: 'simulated' | 'sdk'; maxAttempts: number; wire: WireMode },
): ClientOf<K> {
  const Client = CLIENT_CLASSES[kind];
  const credentials = typeof session === 'function' ? session : { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
  const config = {
    region,
    credentials,
    maxAttempts,
    // The SDK's own option: the middleware stack is resolved once per command class instead of at
    // every call (a storm's 40,000 calls spent about a sixth of their allocations re-sorting it).
    // The stack itself is the same; the simulator's middlewares keep no state in the shared context.
    cacheMiddleware: true,
    ...(retry === 'simulated' ? { retryStrategy: sim.retryStrategy(maxAttempts) } : {}),
  };
  const client = new Client(config) as ClientOf<K>;
  return sim.attach(client as unknown as WirableClient, { wire }) as unknown as ClientOf<K>;
}

/**
 * The ClientFactory responders take (lib/aws/clients.ts), backed by the simulator, plus STS,
 * SQS and EventBridge clients. Clients are cached per account and region.
 */
export function simulatedClientFactory(sim: ClientSource, options: SimulatedClientFactoryOptions = {}): SimulatedClientFactory {
  const principal = options.principal ?? `arn:aws:iam::${sim.defaultAccount}:role/${DEFAULT_RESPONDER_ROLE}`;
  const home = sim.roleForArn(principal);
  const homeRegion = options.homeRegion ?? sim.defaultRegion;
  const transport = { retry: options.retry ?? 'simulated', maxAttempts: options.maxAttempts ?? 3, wire: options.wire ?? 'fast' } as const;
  const clients = new Map<string, object>();
  const homeSession = () => sim.credentialsFor(principal);

  const cached = <K extends ClientKind>(kind: K, session: ClientCredentials, region: string, key: string): ClientOf<K> => {
    let client = clients.get(key) as ClientOf<K> | undefined;
    if (!client) {
      client = clientWith(sim, kind, session, region, transport);
      clients.set(key, client);
    }
    return client;
  };

  // The responders' own access to other accounts (lib/aws/clients/member-role.ts), over this
  // factory's STS client and the simulated clock: made at the first client for another account.
  let access: MemberRoleAccess | undefined;

  const sessionFor = async (account: string, region: string): Promise<{ session: ClientCredentials; key: string }> => {
    if (account === home.account) return { session: homeSession(), key: 'home' };
    if (options.memberRoleName === undefined) {
      return { session: sim.credentialsFor(`arn:aws:iam::${account}:role${home.path}${home.name}`), key: `direct:${account}` };
    }
    const memberRoleName = options.memberRoleName;
    const roles = (access ??= new MemberRoleAccess({
      securityAccountId: home.account,
      memberRoleName,
      homeRegion,
      stsClient: cached('sts', homeSession(), homeRegion, `sts:home:${homeRegion}`),
      ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
      sessionName: options.roleSessionName ?? 'responder',
      now: () => sim.now(),
    }));
    // As MemberRoleAccess.clientConfig does in Lambda: assume now, so that a refusal fails here as
    // MemberRoleUnavailableError; then one client per account asks the cache at every call, renewing
    // the session on the simulated clock. The SDK keeps a provider's answer until its expiration on
    // the wall clock, which is not the simulated one: each answer is marked expired on the wall clock,
    // so the SDK always asks, and the cache (on the simulated clock) decides.
    await roles.memberCredentials(account, region, memberRoleName);
    const credentials = async () => ({ ...(await roles.memberCredentials(account, region, memberRoleName)), expiration: new Date(Date.now()) });
    return { session: credentials, key: `member:${account}` };
  };

  return {
    principal,
    ec2: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('ec2', session, target.region, `ec2:${key}:${target.region}`);
    },
    autoScaling: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('autoscaling', session, target.region, `autoscaling:${key}:${target.region}`);
    },
    elbv2: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('elbv2', session, target.region, `elbv2:${key}:${target.region}`);
    },
    elb: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('elb', session, target.region, `elb:${key}:${target.region}`);
    },
    route53resolver: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('route53resolver', session, target.region, `route53resolver:${key}:${target.region}`);
    },
    s3: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('s3', session, target.region, `s3:${key}:${target.region}`);
    },
    securityhub: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('securityhub', session, target.region, `securityhub:${key}:${target.region}`);
    },
    iam: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('iam', session, homeRegion, `iam:${key}`);
    },
    sts: async (target) => {
      if (!target) return cached('sts', homeSession(), homeRegion, `sts:home:${homeRegion}`);
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('sts', session, target.region, `sts:${key}:${target.region}`);
    },
    sns: () => cached('sns', homeSession(), homeRegion, 'sns'),
    kms: () => cached('kms', homeSession(), homeRegion, 'kms'),
    kmsIn: async (target) => {
      const { session, key } = await sessionFor(target.account, target.region);
      return cached('kms', session, target.region, `kms:${key}:${target.region}`);
    },
    sfn: () => cached('sfn', homeSession(), homeRegion, 'sfn'),
    guardduty: (region) => cached('guardduty', homeSession(), region, `guardduty:home:${region}`),
    dynamodb: () => cached('dynamodb', homeSession(), homeRegion, 'dynamodb'),
    sqs: () => cached('sqs', homeSession(), homeRegion, 'sqs'),
    eventBridge: () => cached('events', homeSession(), homeRegion, 'events'),
  };
}
