/**
 * Whether a containment of Firebreak's holds an access key now: its credential record
 * (credential-records.ts) exists and is not released. Read by the containment guard for a key
 * already Inactive, before it decides that a containment would change nothing and takes no
 * blast-radius slot (row 11t): a key Firebreak holds for another incident must still be claimed by
 * this one's step, so that the other's release does not make it Active while this incident is open.
 * One consistent GetItem of one attribute, never the record: its seal is for the steps that act on
 * it. A record forged in the table only makes the guard take a slot, as it did for every key before.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toResponderError } from '../aws/errors';
import { credentialRecordKey } from './credential-record-key';

/** Whether a record of Firebreak's holds an access key. */
export interface KeyHolds {
  held(account: string, accessKeyId: string): Promise<boolean>;
}

/** KeyHolds over the state table (the guard's read-only `credential#<account>#access-key#` items). */
export class DynamoDbKeyHolds implements KeyHolds {
  constructor(
    private readonly client: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
  ) {}

  async held(account: string, accessKeyId: string): Promise<boolean> {
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: credentialRecordKey({ kind: 'access-key', account, accessKeyId }) } }, ConsistentRead: true, ProjectionExpression: 'released' }),
      ));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    // A record without the attribute is taken as held: the guard then takes a slot, as before.
    return item !== undefined && item.released?.BOOL !== true;
  }
}
