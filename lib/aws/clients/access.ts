/**
 * Where a responder's SDK clients get their region and credentials. Each service has its own client
 * module (`ec2.ts`, `iam.ts`, `sns.ts`…), so a Lambda bundles only the SDK clients it calls; they
 * all ask a `TargetAccess` how to reach the incident's account: with the function's own credentials
 * (`SameAccountAccess`), or through the member role (`member-role.ts`, STS AssumeRole), and only
 * for the accounts the deployment serves (`ServedAccountAccess`). No SDK client is imported here.
 */
import type { ServedAccounts } from '../../contracts/security';
import { servedAccountsFromEnvironment, unservedAccountReason } from '../../contracts/security';
import { UnservedAccountError } from '../../contracts/responder-errors';

/** The account and region a responder must act in (those of the finding). */
export interface AwsTarget {
  readonly account: string;
  readonly region: string;
  /**
   * The account whose finding asks for the call (`findingAccountOf`), when an incident does: the
   * security account is served for its own findings only (row 9h), and the client factories refuse
   * it for another's (row 9i), so a step that holds no grant cannot act there either.
   */
  readonly findingAccount?: string;
}

/** Temporary credentials of an assumed member role (structurally an SDK `AwsCredentialIdentity`). */
export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What a client module hands to an SDK client constructor: a region and, for member accounts, credentials. */
export interface TargetClientConfig {
  readonly region: string;
  /** Absent for the security account (the function's own credentials). */
  readonly credentials?: () => Promise<MemberCredentials>;
}

/** What kind of client a service module asks for. */
export interface ClientScope {
  /**
   * The member-account role the client acts through: the member role, or the session revoker (the
   * only member-account role that may write role policies, lib/stack/member-role-stack.ts).
   */
  readonly role: 'member' | 'session-revoker';
  /** A global service (IAM): the target's region only picks the partition's endpoint and signs the call. */
  readonly global?: boolean;
}

/** How clients reach a target's account: the region and credentials a client for it is built with. */
export interface TargetAccess {
  /** The client configuration for `target`; throws (UnservedAccountError, MemberRoleUnavailableError…) when no client may exist. */
  clientConfig(target: AwsTarget, scope: ClientScope): Promise<TargetClientConfig>;
}

/** The region the function runs in (security-account services live there). */
export function homeRegionFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.AWS_REGION ?? 'us-east-1';
}

/**
 * The function's own credentials for every target. Used when every finding comes from the account
 * Firebreak runs in; `member-role.ts` adds cross-account roles.
 */
export class SameAccountAccess implements TargetAccess {
  constructor(private readonly homeRegion: string = homeRegionFromEnvironment()) {}

  async clientConfig(target: AwsTarget, scope: ClientScope): Promise<TargetClientConfig> {
    return { region: scope.global ? this.homeRegion : target.region };
  }
}

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

/** Throws UnservedAccountError unless the deployment serves `account` (see `unservedAccountReason`), for a finding of `findingAccount` when given. */
export function assertServedAccount(account: string, served: ServedAccounts, findingAccount?: string): void {
  const reason = unservedAccountReason(account, served, findingAccount);
  if (reason !== undefined) {
    throw new UnservedAccountError(`Firebreak refuses to act for this incident: ${reason}. No call was made in account ${account}.`, account);
  }
}

/**
 * Access to the served accounts only: for any other account it throws UnservedAccountError before a
 * client exists, so no call is ever made there, and an incident of another account never falls back
 * to the security account's own credentials.
 */
export class ServedAccountAccess implements TargetAccess {
  constructor(
    private readonly inner: TargetAccess,
    readonly served: ServedAccounts,
  ) {}

  async clientConfig(target: AwsTarget, scope: ClientScope): Promise<TargetClientConfig> {
    assertServedAccount(target.account, this.served, target.findingAccount);
    return this.inner.clientConfig(target, scope);
  }
}

/**
 * Clients of one service per account and region, built on first use from `access`. The access is
 * asked on every call (a member role is assumed, from its cache, before the client is handed out),
 * so a missing role fails here rather than inside the first API call; the client itself asks for
 * fresh credentials whenever the SDK wants them, so one client lives across sessions.
 */
export function clientsPerTarget<C>(
  access: TargetAccess,
  scope: ClientScope,
  make: (config: TargetClientConfig) => C,
): (target: AwsTarget) => Promise<C> {
  const clients = new Map<string, C>();
  return async (target) => {
    const config = await access.clientConfig(target, scope);
    const key = `${target.account}/${config.region}`;
    let client = clients.get(key);
    if (!client) {
      client = make(config);
      clients.set(key, client);
    }
    return client;
  };
}

/** A security-account client, made once on first use (SNS, Step Functions, DynamoDB, KMS live where Firebreak runs). */
export function onFirstUse<C>(make: () => C): () => C {
  let client: C | undefined;
  return () => (client ??= make());
}
