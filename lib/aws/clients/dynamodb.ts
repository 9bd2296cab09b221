/** DynamoDB in the security account (the state table); only `@aws-sdk/client-dynamodb`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { homeRegionFromEnvironment, onFirstUse } from './access';

export interface DynamoDbClients {
  /** DynamoDB in the security account (state table: records, grants, approvals, blast-radius counter). */
  dynamodb(): DynamoDBClient;
}

/** One DynamoDB client in the home region, made on first use. */
export function homeDynamoDbClients(homeRegion: string = homeRegionFromEnvironment()): DynamoDbClients {
  return { dynamodb: onFirstUse(() => new DynamoDBClient({ region: homeRegion })) };
}
