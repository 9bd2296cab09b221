/**
 * Responders act in the account and region of the finding. Firebreak runs in the security account
 * (the GuardDuty delegated administrator); for a finding from a member account the responder
 * assumes the member role that `lib/stack/member-role-stack.ts` deploys there, and builds its EC2
 * and IAM clients with those credentials for the finding's region. Alerts, executions and the
 * blast-radius counter stay in the security account.
 *
 * An assumed role is cached for its lifetime (until its `Expiration` minus a safety margin), and
 * concurrent requests for the same account share one in-flight AssumeRole call: a storm of findings
 * from one account costs one STS call per session, not one per responder call.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { SECURITY_ENV } from '../contracts/security';
import { SameAccountClientFactory, type AwsTarget, type ClientFactory } from './clients';
import { awsErrorCode, toResponderError } from './errors';
import { MemberRoleUnavailableError, ResponderFailedError, ResponderInputError, UnservedAccountError } from '../contracts/responder-errors';
import type { ServedAccounts } from '../contracts/security';
import { servedAccountsFromEnvironment, unservedAccountReason } from '../contracts/security';

/** The default name of the role the member-role stack creates in every member account. */
export const DEFAULT_MEMBER_ROLE_NAME = 'FirebreakResponder';

/** Defined once in the contracts; re-exported here for the IAM scopes that import it from this module. */
export { MANAGED_SECURITY_GROUP_TAG } from '../contracts/security';

/**
 * The default name of the member-account role that may write role policies (session revocation):
 * separate from the member role, trusted by the quarantine-instance responder role alone.
 */
export const DEFAULT_SESSION_REVOKER_ROLE_NAME = 'FirebreakSessionRevoker';

/** STS AssumeRole accepts 900..43200 s, but role chaining (a Lambda role assuming another role) caps it at 1 hour. */
const MIN_SESSION_SECONDS = 900;
const MAX_SESSION_SECONDS = 3600;
/**
 * Renew this long before `Expiration`. It matches the SDK's own refresh window (5 minutes), so an
 * SDK client asking for fresh credentials never receives the ones it is about to discard.
 */
const DEFAULT_REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * STS answers `AccessDenied` both when the role does not exist and when its trust policy does not
 * admit the caller (it does not reveal which, by design); IAM answers `NoSuchEntity`.
 */
const ROLE_UNAVAILABLE_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'NoSuchEntity', 'NoSuchEntityException']);

const ACCOUNT_ID = /^\d{12}$/;
/** RoleSessionName: 2-64 characters of `[\w+=,.@-]` (STS AssumeRole API reference). */
const SESSION_NAME_FORBIDDEN = /[^\w+=,.@-]/g;
const SESSION_NAME_MAX = 64;

/** Temporary credentials of an assumed member role (structurally an SDK `AwsCredentialIdentity`). */
export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What the factory hands to an SDK client constructor: a region and, for member accounts, credentials. */
export interface TargetClientConfig {
  readonly region: string;
  /** Absent for the security account (the function's own credentials). */
  readonly credentials?: () => Promise<MemberCredentials>;
}

export interface MemberAccountClientFactoryOptions {
  /** The account Firebreak runs in; targets in it use the function's own credentials. */
  readonly securityAccountId: string;
  /** Name of the role the member-role stack deploys in every member account. */
  readonly memberRoleName: string;
  /**
   * Name of the member-account role that may write role policies (session revocation): IAM clients
   * for member accounts assume it instead of the member role, which cannot write role policies.
   * @default IAM clients use the member role
   */
  readonly sessionRevokerRoleName?: string;
  /** Region of the security-account deployment (SNS, Step Functions, DynamoDB, STS). */
  readonly homeRegion: string;
  /** @default an STSClient in `homeRegion` (regional endpoint, same partition) */
  readonly stsClient?: STSClient;
  /** Sent as `ExternalId` when the member-role stack was deployed with one. @default none */
  readonly externalId?: string;
  /** Shown in the member account's CloudTrail as the session name. @default 'firebreak-responder' */
  readonly sessionName?: string;
  /** Session length, 900..3600 s. @default 900 (responders need seconds; short sessions limit a leak) */
  readonly sessionDurationSeconds?: number;
  /** Clock for cache expiry. @default () => new Date() */
  readonly now?: () => Date;
  /** @default (config) => new EC2Client(config) */
  readonly makeEc2?: (config: TargetClientConfig) => EC2Client;
  /** @default (config) => new IAMClient(config) */
  readonly makeIam?: (config: TargetClientConfig) => IAMClient;
}

interface CachedSession {
  readonly credentials: Promise<MemberCredentials>;
  /** Known once AssumeRole has answered; until then the pending promise is shared. */
  renewAt?: number;
}

/** The AWS partition a region belongs to (`cn-*` → aws-cn, `us-gov-*` → aws-us-gov, …). */
export function partitionForRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/** The ARN of the member role in `account`, in the partition of `region`. */
export function memberRoleArn(account: string, region: string, roleName: string): string {
  return `arn:${partitionForRegion(region)}:iam::${account}:role/${roleName}`;
}

/** A valid STS RoleSessionName `firebreak-<label>`: forbidden characters become `-`, at most 64 characters. */
export function roleSessionName(label: string): string {
  const cleaned = label.replace(SESSION_NAME_FORBIDDEN, '-');
  const name = cleaned.startsWith('firebreak-') ? cleaned : `firebreak-${cleaned}`;
  return name.slice(0, SESSION_NAME_MAX);
}

/**
 * A `ClientFactory` that acts in the finding's own account: the function's own credentials for the
 * security account, the assumed member role for every other account.
 */
export class MemberAccountClientFactory implements ClientFactory {
  private readonly sts: STSClient;
  private readonly securityAccount: SameAccountClientFactory;
  private readonly sessions = new Map<string, CachedSession>();
  private readonly ec2Clients = new Map<string, EC2Client>();
  private readonly iamClients = new Map<string, IAMClient>();
  private readonly sessionName: string;
  private readonly sessionDurationSeconds: number;
  private readonly now: () => Date;
  private readonly makeEc2: (config: TargetClientConfig) => EC2Client;
  private readonly makeIam: (config: TargetClientConfig) => IAMClient;

  constructor(private readonly options: MemberAccountClientFactoryOptions) {
    if (!ACCOUNT_ID.test(options.securityAccountId)) {
      throw new TypeError(`securityAccountId must be a 12-digit account id, got '${options.securityAccountId}'`);
    }
    if (options.memberRoleName.length === 0) throw new TypeError('memberRoleName must not be empty');
    this.sessionDurationSeconds = options.sessionDurationSeconds ?? MIN_SESSION_SECONDS;
    if (
      !Number.isInteger(this.sessionDurationSeconds) ||
      this.sessionDurationSeconds < MIN_SESSION_SECONDS ||
      this.sessionDurationSeconds > MAX_SESSION_SECONDS
    ) {
      throw new RangeError(
        `sessionDurationSeconds must be an integer in ${MIN_SESSION_SECONDS}..${MAX_SESSION_SECONDS} (role chaining caps sessions at 1 hour), got ${this.sessionDurationSeconds}`,
      );
    }
    this.sts = options.stsClient ?? new STSClient({ region: options.homeRegion });
    this.securityAccount = new SameAccountClientFactory(options.homeRegion);
    this.sessionName = roleSessionName(options.sessionName ?? 'responder');
    this.now = options.now ?? (() => new Date());
    this.makeEc2 = options.makeEc2 ?? ((config) => new EC2Client(config));
    this.makeIam = options.makeIam ?? ((config) => new IAMClient(config));
  }

  async ec2(target: AwsTarget): Promise<EC2Client> {
    return this.clientFor(target, target.region, this.ec2Clients, this.makeEc2);
  }

  async iam(target: AwsTarget): Promise<IAMClient> {
    // IAM is global; the target's region only picks the partition's endpoint and signs the call.
    // Responders call IAM in member accounts only to revoke role sessions, which only the
    // session-revoker role may do (lib/stack/member-role-stack.ts).
    return this.clientFor(target, target.region, this.iamClients, this.makeIam, this.options.sessionRevokerRoleName);
  }

  sns(): SNSClient {
    return this.securityAccount.sns();
  }

  sfn(): SFNClient {
    return this.securityAccount.sfn();
  }

  dynamodb(): DynamoDBClient {
    return this.securityAccount.dynamodb();
  }

  /**
   * Credentials of the member role in `account`, from the cache while they are fresh. Throws
   * `MemberRoleUnavailableError` when the role is missing or does not trust the caller.
   */
  async memberCredentials(account: string, region: string, roleName: string = this.options.memberRoleName): Promise<MemberCredentials> {
    const roleArn = memberRoleArn(account, region, roleName);
    const cached = this.sessions.get(roleArn);
    if (cached && (cached.renewAt === undefined || this.now().getTime() < cached.renewAt)) {
      return cached.credentials;
    }
    const session: CachedSession = { credentials: this.assumeMemberRole(account, roleArn, roleName) };
    this.sessions.set(roleArn, session);
    try {
      const credentials = await session.credentials;
      session.renewAt = credentials.expiration.getTime() - DEFAULT_REFRESH_MARGIN_MS;
      return credentials;
    } catch (error) {
      // A failure is not cached: once the member-role stack is deployed, the next incident succeeds.
      if (this.sessions.get(roleArn) === session) this.sessions.delete(roleArn);
      throw error;
    }
  }

  private async clientFor<C>(
    target: AwsTarget,
    region: string,
    clients: Map<string, C>,
    make: (config: TargetClientConfig) => C,
    roleName: string = this.options.memberRoleName,
  ): Promise<C> {
    assertAccountId(target.account);
    const key = `${target.account}/${region}`;
    if (target.account === this.options.securityAccountId) {
      let client = clients.get(key);
      if (!client) {
        client = make({ region });
        clients.set(key, client);
      }
      return client;
    }
    // Assume the role now, so a missing role fails here as MemberRoleUnavailableError rather than
    // inside the first EC2 call, where it would be reported as an ordinary access denial.
    await this.memberCredentials(target.account, region, roleName);
    let client = clients.get(key);
    if (!client) {
      // The client asks the cache whenever the SDK wants fresh credentials, so one client lives
      // across sessions instead of being rebuilt each time the role is assumed again.
      client = make({ region, credentials: () => this.memberCredentials(target.account, region, roleName) });
      clients.set(key, client);
    }
    return client;
  }

  private async assumeMemberRole(account: string, roleArn: string, memberRoleName: string): Promise<MemberCredentials> {
    const { externalId } = this.options;
    let response;
    try {
      response = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.sessionName,
          DurationSeconds: this.sessionDurationSeconds,
          ...(externalId !== undefined ? { ExternalId: externalId } : {}),
        }),
      );
    } catch (error) {
      const code = awsErrorCode(error);
      if (code !== undefined && ROLE_UNAVAILABLE_CODES.has(code)) {
        throw new MemberRoleUnavailableError(
          `Firebreak cannot act in account ${account}: assuming ${roleArn} failed (${code}). ` +
            `The member role '${memberRoleName}' is missing in account ${account} or does not trust this ` +
            `security account's responder roles. Deploy the Firebreak member-role stack (MemberRoleStack, ` +
            `for example through the organization's StackSet) to account ${account}, then re-run the playbook.`,
          account,
          memberRoleName,
          { cause: error },
        );
      }
      throw toResponderError(error, `sts:AssumeRole ${roleArn}`);
    }
    const credentials = response.Credentials;
    if (
      !credentials?.AccessKeyId ||
      !credentials.SecretAccessKey ||
      !credentials.SessionToken ||
      !credentials.Expiration
    ) {
      throw new ResponderFailedError(`sts:AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  }
}

function assertAccountId(account: string): void {
  // A malformed account would otherwise become a malformed role ARN and a confusing STS error.
  if (!ACCOUNT_ID.test(account)) {
    throw new ResponderInputError(`The incident's account must be a 12-digit account id, got '${account}'`);
  }
}

const environmentSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_LAMBDA_FUNCTION_NAME: z.string().min(1).optional(),
  FIREBREAK_MEMBER_ROLE_NAME: z.string().min(1).optional(),
  FIREBREAK_SECURITY_ACCOUNT_ID: z
    .string()
    .regex(ACCOUNT_ID, 'FIREBREAK_SECURITY_ACCOUNT_ID must be a 12-digit account id')
    .optional(),
  FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: z.string().min(1).optional(),
  [SECURITY_ENV.sessionRevokerRoleName]: z.string().min(1).optional(),
});

/**
 * The accounts a deployment serves, from its environment (the contracts' one reading of
 * SECURITY_ENV); throws a TypeError naming the problem. Without FIREBREAK_SECURITY_ACCOUNT_ID no
 * account can be told apart, so a responder must not start.
 */
export function requireServedAccounts(env: Readonly<Record<string, string | undefined>> = process.env): ServedAccounts {
  const read = servedAccountsFromEnvironment(env);
  if ('problem' in read) throw new TypeError(`Invalid Firebreak environment: ${read.problem}`);
  return read.served;
}

/** Throws UnservedAccountError unless the deployment serves `account` (see `unservedAccountReason`). */
export function assertServedAccount(account: string, served: ServedAccounts): void {
  const reason = unservedAccountReason(account, served);
  if (reason !== undefined) {
    throw new UnservedAccountError(`Firebreak refuses to act for this incident: ${reason}. No call was made in account ${account}.`, account);
  }
}

/**
 * A ClientFactory that hands out EC2 and IAM clients only for the accounts the deployment serves:
 * for any other account it throws UnservedAccountError before a client exists, so no call is ever
 * made there, and an incident of another account never falls back to the security account's own
 * credentials. Security-account services (SNS, Step Functions, DynamoDB) pass through.
 */
export class ServedAccountClientFactory implements ClientFactory {
  constructor(
    private readonly inner: ClientFactory,
    readonly served: ServedAccounts,
  ) {}

  async ec2(target: AwsTarget): Promise<EC2Client> {
    assertServedAccount(target.account, this.served);
    return this.inner.ec2(target);
  }

  async iam(target: AwsTarget): Promise<IAMClient> {
    assertServedAccount(target.account, this.served);
    return this.inner.iam(target);
  }

  sns(): SNSClient {
    return this.inner.sns();
  }

  sfn(): SFNClient {
    return this.inner.sfn();
  }

  dynamodb(): DynamoDBClient {
    return this.inner.dynamodb();
  }
}

/**
 * The client factory a Lambda entry point should use: member accounts through the member role when
 * `FIREBREAK_MEMBER_ROLE_NAME` is set (with optionally `FIREBREAK_MEMBER_ROLE_EXTERNAL_ID`),
 * otherwise the function's own credentials for the security account only. Either way only the
 * served accounts (`requireServedAccounts`) get a client; FIREBREAK_SECURITY_ACCOUNT_ID is
 * required.
 */
export function clientFactoryFromEnvironment(env: NodeJS.ProcessEnv = process.env): ClientFactory {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new TypeError(`Invalid Firebreak environment: ${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  if (config.FIREBREAK_MEMBER_ROLE_NAME !== undefined && config.FIREBREAK_SECURITY_ACCOUNT_ID === undefined) {
    throw new TypeError(
      'FIREBREAK_MEMBER_ROLE_NAME is set but FIREBREAK_SECURITY_ACCOUNT_ID is not: the responder cannot tell its own account from member accounts',
    );
  }
  const served = requireServedAccounts(env);
  if (config.FIREBREAK_MEMBER_ROLE_NAME === undefined) {
    return new ServedAccountClientFactory(new SameAccountClientFactory(config.AWS_REGION), served);
  }
  return new ServedAccountClientFactory(
    new MemberAccountClientFactory({
      securityAccountId: served.securityAccountId,
      memberRoleName: config.FIREBREAK_MEMBER_ROLE_NAME,
      homeRegion: config.AWS_REGION,
      ...(config.FIREBREAK_MEMBER_ROLE_EXTERNAL_ID !== undefined
        ? { externalId: config.FIREBREAK_MEMBER_ROLE_EXTERNAL_ID }
        : {}),
      ...(config[SECURITY_ENV.sessionRevokerRoleName] !== undefined
        ? { sessionRevokerRoleName: config[SECURITY_ENV.sessionRevokerRoleName] }
        : {}),
      ...(config.AWS_LAMBDA_FUNCTION_NAME !== undefined ? { sessionName: config.AWS_LAMBDA_FUNCTION_NAME } : {}),
    }),
    served,
  );
}
