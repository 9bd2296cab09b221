/**
 * How responders get SDK clients. Responders never construct clients themselves: they ask a
 * `ClientFactory` for the account and region of the incident. In Lambda the factory makes real
 * clients (assuming the member role for other accounts); in the local game day it makes the same
 * SDK clients wired to the simulated account; in tests aws-sdk-client-mock intercepts them.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The account and region a responder must act in (those of the finding). */
export interface AwsTarget {
  readonly account: string;
  readonly region: string;
}

export interface ClientFactory {
  /** EC2 in the incident's account and region. */
  ec2(target: AwsTarget): Promise<EC2Client>;
  /** IAM in the incident's account (global service; region only signs the call). */
  iam(target: AwsTarget): Promise<IAMClient>;
  /** SNS in the security account (alerts are published where Firebreak runs). */
  sns(): SNSClient;
  /** Step Functions in the security account. */
  sfn(): SFNClient;
  /** DynamoDB in the security account (blast-radius counter). */
  dynamodb(): DynamoDBClient;
}

/**
 * A factory that uses the function's own credentials for every target. Used when every finding
 * comes from the account Firebreak runs in; `lib/aws/member-accounts.ts` adds cross-account roles.
 */
export class SameAccountClientFactory implements ClientFactory {
  private readonly ec2Clients = new Map<string, EC2Client>();
  private readonly iamClients = new Map<string, IAMClient>();
  private snsClient?: SNSClient;
  private sfnClient?: SFNClient;
  private dynamodbClient?: DynamoDBClient;

  constructor(private readonly homeRegion: string = process.env.AWS_REGION ?? 'us-east-1') {}

  async ec2(target: AwsTarget): Promise<EC2Client> {
    let client = this.ec2Clients.get(target.region);
    if (!client) {
      client = new EC2Client({ region: target.region });
      this.ec2Clients.set(target.region, client);
    }
    return client;
  }

  async iam(target: AwsTarget): Promise<IAMClient> {
    let client = this.iamClients.get(target.account);
    if (!client) {
      client = new IAMClient({ region: this.homeRegion });
      this.iamClients.set(target.account, client);
    }
    return client;
  }

  sns(): SNSClient {
    this.snsClient ??= new SNSClient({ region: this.homeRegion });
    return this.snsClient;
  }

  sfn(): SFNClient {
    this.sfnClient ??= new SFNClient({ region: this.homeRegion });
    return this.sfnClient;
  }

  dynamodb(): DynamoDBClient {
    this.dynamodbClient ??= new DynamoDBClient({ region: this.homeRegion });
    return this.dynamodbClient;
  }
}
