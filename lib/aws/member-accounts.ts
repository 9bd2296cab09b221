/**
 * Every service's clients for the finding's own account (the `ClientFactory` the game day and tests
 * hand to responders), composed from the per-service client modules over the member role's access
 * (lib/aws/clients/member-role.ts). Lambda entry points compose only the services they call, over
 * lib/aws/clients/environment.ts; importing this module pulls every client into a bundle.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServedAccounts } from '../contracts/security';
import { SameAccountClientFactory, type ClientFactory } from './clients';
import type { AwsTarget, MemberCredentials, TargetClientConfig } from './clients/access';
import { assertServedAccount } from './clients/access';
import { ec2ClientsFor } from './clients/ec2';
import { readAccessEnvironment } from './clients/environment';
import { iamClientsFor } from './clients/iam';
import type { MemberRoleAccessOptions } from './clients/member-role';
import { MemberRoleAccess } from './clients/member-role';

export type { MemberCredentials, TargetClientConfig } from './clients/access';
export { assertServedAccount, requireServedAccounts } from './clients/access';
export { memberRoleArn, partitionForRegion, roleSessionName } from './clients/member-role';

/** The default configured name of the member roles (each responder's is `responderMemberRoleName`). */
export const DEFAULT_MEMBER_ROLE_NAME = 'FirebreakResponder';

/**
 * The default configured name of the member-account roles that write role policies: each responder
 * whose deployed steps write them (quarantine-instance with revokeRoleSessions, revoke-role-sessions,
 * release-credentials) gets one of its own (`responderMemberRoleName`), separate from its member role.
 */
export const DEFAULT_SESSION_REVOKER_ROLE_NAME = 'FirebreakSessionRevoker';

export { responderMemberRoleName } from '../contracts/responders';

export interface MemberAccountClientFactoryOptions extends MemberRoleAccessOptions {
  /** @default (config) => new EC2Client(config) */
  readonly makeEc2?: (config: TargetClientConfig) => EC2Client;
  /** @default (config) => new IAMClient(config) */
  readonly makeIam?: (config: TargetClientConfig) => IAMClient;
}

/**
 * A `ClientFactory` that acts in the finding's own account: the function's own credentials for the
 * security account, the assumed member role for every other account.
 */
export class MemberAccountClientFactory implements ClientFactory {
  private readonly access: MemberRoleAccess;
  private readonly securityAccount: SameAccountClientFactory;
  readonly ec2: (target: AwsTarget) => Promise<EC2Client>;
  readonly iam: (target: AwsTarget) => Promise<IAMClient>;

  constructor(options: MemberAccountClientFactoryOptions) {
    this.access = new MemberRoleAccess(options);
    this.securityAccount = new SameAccountClientFactory(options.homeRegion);
    this.ec2 = ec2ClientsFor(this.access, options.makeEc2).ec2;
    this.iam = iamClientsFor(this.access, options.makeIam).iam;
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

  /** Credentials of the member role in `account`, from the cache while they are fresh (see MemberRoleAccess). */
  memberCredentials(account: string, region: string, roleName?: string): Promise<MemberCredentials> {
    return this.access.memberCredentials(account, region, roleName);
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
    assertServedAccount(target.account, this.served, target.findingAccount);
    return this.inner.ec2(target);
  }

  async iam(target: AwsTarget): Promise<IAMClient> {
    assertServedAccount(target.account, this.served, target.findingAccount);
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
 * Every service's clients for a Lambda environment (lib/aws/clients/environment.ts): member
 * accounts through the member role when FIREBREAK_MEMBER_ROLE_NAME is set, otherwise the
 * function's own credentials for the security account only; only the served accounts get a client.
 */
export function clientFactoryFromEnvironment(env: NodeJS.ProcessEnv = process.env): ClientFactory {
  const read = readAccessEnvironment(env);
  const inner = read.memberRole ? new MemberAccountClientFactory(read.memberRole) : new SameAccountClientFactory(read.homeRegion);
  return new ServedAccountClientFactory(inner, read.served);
}
