/**
 * A state-table item of string fields, read and written whole under its partition key (`pk`): the
 * records a responder keeps for itself alone (quarantine-copy-records.ts, security-hub-records.ts).
 * The read is consistent, since the read that needs the item (a retried step, a release) can follow
 * its write by seconds; DynamoDB's errors become the responders' own (toResponderError), so that the
 * state machine retries throttling and catches a refusal.
 *
 * A stored item is a claim, as every stored record: it is read only when each required field is a
 * string and each optional one is a string or absent. Any other item reads as no record, never as
 * part of one: an optional field of another type taken for one left out could make a record match
 * what it does not (an unversioned object's quarantine copy, for one).
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toResponderError } from '../aws/errors';

/** An item's values: each required field a string, each optional one a string or absent. */
export type StringItem<Required extends string, Optional extends string> = { readonly [F in Required]: string } & { readonly [F in Optional]?: string };

/** The fields of one kind of item besides its `pk`. */
export interface StringItemFields<Required extends string, Optional extends string = never> {
  readonly required: readonly Required[];
  /** @default none */
  readonly optional?: readonly Optional[];
}

/** Reads and writes one kind of string-field item in the state table. */
export interface StringItemStore<Required extends string, Optional extends string = never> {
  /** The values stored at `pk`, or undefined when there is no item or it is not one with these fields. */
  get(pk: string): Promise<StringItem<Required, Optional> | undefined>;
  /** Writes the listed fields of `values` (an absent optional one left out) under `pk`, replacing any item there. */
  put(pk: string, values: StringItem<Required, Optional>): Promise<void>;
}

/** The store of the items with these fields in `table`. */
export function stringItemStore<Required extends string, Optional extends string = never>(
  client: DynamoDBClient,
  table: string,
  { required, optional = [] }: StringItemFields<Required, Optional>,
): StringItemStore<Required, Optional> {
  const fields: readonly string[] = [...required, ...optional];
  return {
    async get(pk) {
      const { Item: item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true })).catch((error: unknown) => {
        throw toResponderError(error, 'dynamodb:GetItem');
      });
      if (!item) return undefined;
      const values: Record<string, string> = {};
      for (const field of fields) {
        const attribute = item[field];
        if (attribute === undefined && (optional as readonly string[]).includes(field)) continue;
        if (typeof attribute?.S !== 'string') return undefined;
        values[field] = attribute.S;
      }
      return values as StringItem<Required, Optional>;
    },

    async put(pk, values) {
      const item: Record<string, AttributeValue> = { pk: { S: pk } };
      for (const field of fields) {
        const value = (values as Readonly<Record<string, string | undefined>>)[field];
        if (value !== undefined) item[field] = { S: value };
      }
      await client.send(new PutItemCommand({ TableName: table, Item: item })).catch((error: unknown) => {
        throw toResponderError(error, 'dynamodb:PutItem');
      });
    },
  };
}
