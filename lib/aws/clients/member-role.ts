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
import { awsErrorCode, isAwsError, toResponderError } from '../errors';
import { MemberRoleUnavailableError, ResponderFailedError, ResponderInputError } from '../../contracts/responder-errors';
import type { AwsTarget, ClientScope, MemberCredentials, TargetAccess, TargetClientConfig } from './access';

/** STS AssumeRole accepts 900..43200 s, but role chaining (a Lambda role assuming another role) caps it at 1 hour. */
const MIN_SESSION_SECONDS = 900;
const MAX_SESSION_SECONDS = 3600;
/**
 * Renew this long before `Expiration`. It matches the SDK's own refresh window (5 minutes), so an
 * SDK client asking for fresh credentials never receives the ones it is about to discard.
 */
const DEFAULT_REFRESH_MARGIN_MS = 5 * 60 * 1000;


export const ACCOUNT_ID = /^\d{12}$/;
/** RoleSessionName: 2-64 characters of `[\w+=,.@-]` (STS AssumeRole API reference). */
const SESSION_NAME_FORBIDDEN = /[^\w+=,.@-]/g;
const SESSION_NAME_MAX = 64;

export interface MemberRoleAccessOptions {
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
 * Access in the finding's own account: the function's own credentials for the security account,
 * the assumed member role (or the session revoker, for IAM) for every other account.
 */
export class MemberRoleAccess implements TargetAccess {
  private readonly sts: STSClient;
  private readonly sessions = new Map<string, CachedSession>();
  private readonly sessionName: string;
  private readonly sessionDurationSeconds: number;
  private readonly now: () => Date;

  constructor(private readonly options: MemberRoleAccessOptions) {
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
    this.sessionName = roleSessionName(options.sessionName ?? 'responder');
    this.now = options.now ?? (() => new Date());
  }

  async clientConfig(target: AwsTarget, scope: ClientScope): Promise<TargetClientConfig> {
    assertAccountId(target.account);
    const region = target.region;
    if (target.account === this.options.securityAccountId) return { region };
    const roleName =
      scope.role === 'session-revoker' ? (this.options.sessionRevokerRoleName ?? this.options.memberRoleName) : this.options.memberRoleName;
    // Assume the role now, so a missing role fails here as MemberRoleUnavailableError rather than
    // inside the first EC2 call, where it would be reported as an ordinary access denial.
    await this.memberCredentials(target.account, region, roleName);
    // The client asks the cache whenever the SDK wants fresh credentials, so one client lives
    // across sessions instead of being rebuilt each time the role is assumed again.
    return { region, credentials: () => this.memberCredentials(target.account, region, roleName) };
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
      // STS answers AccessDenied both when the role does not exist and when its trust policy does not
      // admit the caller (it does not reveal which, by design); IAM answers NoSuchEntity.
      if (isAwsError(error, 'AccessDenied') || isAwsError(error, 'NoSuchEntity')) {
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
