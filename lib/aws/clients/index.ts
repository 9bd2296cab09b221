/**
 * How responders get SDK clients. Responders never construct clients themselves: they ask for the
 * clients of the services they call (`Ec2Clients`, `SnsClients`… one module per service, so a
 * Lambda bundles only those SDK clients) for the account and region of the incident. In Lambda the
 * modules make real clients (assuming the member role for other accounts, `member-role.ts`); in the
 * local game day the simulated account hands out the same SDK clients wired to it; in tests
 * aws-sdk-client-mock intercepts them.
 *
 * `ClientFactory` is every service at once: what the game day and tests hand to any responder.
 * Importing a value from this module pulls every client into a bundle; Lambda entry points import
 * the per-service modules instead.
 */
import { SameAccountAccess, homeRegionFromEnvironment } from './access';
import type { DynamoDbClients } from './dynamodb';
import { homeDynamoDbClients } from './dynamodb';
import type { Ec2Clients } from './ec2';
import { ec2ClientsFor } from './ec2';
import type { IamClients } from './iam';
import { iamClientsFor } from './iam';
import type { SfnClients } from './sfn';
import { homeSfnClients } from './sfn';
import type { SnsClients } from './sns';
import { homeSnsClients } from './sns';

export type { AwsTarget, TargetClientConfig, MemberCredentials } from './access';
export type { DynamoDbClients, Ec2Clients, IamClients, SfnClients, SnsClients };

/** Every service a responder may call: EC2 and IAM in the incident's account, SNS, Step Functions and DynamoDB in the security account. */
export interface ClientFactory extends Ec2Clients, IamClients, SnsClients, SfnClients, DynamoDbClients {}

/**
 * The function's own credentials for every target. Used when every finding comes from the account
 * Firebreak runs in; `lib/aws/member-accounts.ts` adds cross-account roles.
 */
export class SameAccountClientFactory implements ClientFactory {
  readonly ec2: Ec2Clients['ec2'];
  readonly iam: IamClients['iam'];
  readonly sns: SnsClients['sns'];
  readonly sfn: SfnClients['sfn'];
  readonly dynamodb: DynamoDbClients['dynamodb'];

  constructor(homeRegion: string = homeRegionFromEnvironment()) {
    const access = new SameAccountAccess(homeRegion);
    this.ec2 = ec2ClientsFor(access).ec2;
    this.iam = iamClientsFor(access).iam;
    this.sns = homeSnsClients(homeRegion).sns;
    this.sfn = homeSfnClients(homeRegion).sfn;
    this.dynamodb = homeDynamoDbClients(homeRegion).dynamodb;
  }
}

