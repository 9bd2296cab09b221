import { describe, expect, it } from 'vitest';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const TABLE = 'firebreak-state';

function world(): { sim: SeededSimulatedAws; ddb: DynamoDBClient } {
  const sim = new SeededSimulatedAws({ seed: 'dynamodb-tests' });
  sim.addTable({ name: TABLE, partitionKey: 'pk' });
  return { sim, ddb: sim.clientFactory().dynamodb() };
}

describe('simulated DynamoDB', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
  // (conditional writes are atomic per item: of concurrent conditional puts, one succeeds)
  it('lets exactly one of several concurrent conditional puts win, the others get ConditionalCheckFailedException', async () => {
    const { sim, ddb } = world();
    const put = (holder: string) =>
      ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'blast-radius#111111111111#0' }, incidentKey: { S: holder } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

    const results = await Promise.allSettled(['inc-a', 'inc-b', 'inc-c', 'inc-d'].map(put));

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(3);
    expect(lost.every((r) => r.reason instanceof ConditionalCheckFailedException)).toBe(true);
    expect(sim.tableItems(TABLE)).toEqual([{ pk: { S: 'blast-radius#111111111111#0' }, incidentKey: { S: 'inc-a' } }]);
  });

  // Same page; the quarantine record's "attribute_not_exists(pk) OR released = :true".
  it('takes a record that does not exist or was released, and refuses one that is held', async () => {
    const { ddb } = world();
    const record = (pk: string, holder: string) =>
      ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: pk }, incidentKey: { S: holder }, released: { BOOL: false } },
          ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
          ExpressionAttributeValues: { ':true': { BOOL: true } },
        }),
      );
    await record('held', 'inc-1');
    await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'released' }, released: { BOOL: true } } }));

    const refused = await rejectionOf(record('held', 'inc-2'));
    await record('released', 'inc-3');
    await record('fresh', 'inc-4');

    expect(refused.name).toBe('ConditionalCheckFailedException');
    expect((await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'released' } } }))).Item?.incidentKey).toEqual({ S: 'inc-3' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
  it('evaluates comparisons, BETWEEN, IN, NOT, functions and parentheses with names and values placeholders', async () => {
    const { ddb } = world();
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'slot' }, expiresAt: { N: '100' }, holder: { S: 'inc-1' }, tags: { SS: ['a', 'b'] } },
      }),
    );
    const holds = async (expression: string, values: Record<string, { N: string } | { S: string }> = {}, names?: Record<string, string>) => {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { pk: { S: 'slot' } },
            UpdateExpression: 'SET checked = :yes',
            ConditionExpression: expression,
            ExpressionAttributeValues: { ':yes': { BOOL: true }, ...values } as Record<string, { BOOL: boolean }>,
            ...(names ? { ExpressionAttributeNames: names } : {}),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    };

    expect(await holds('#e < :now', { ':now': { N: '150' } }, { '#e': 'expiresAt' })).toBe(true);
    expect(await holds('#e <= :now', { ':now': { N: '99' } }, { '#e': 'expiresAt' })).toBe(false);
    expect(await holds('expiresAt BETWEEN :a AND :b', { ':a': { N: '100' }, ':b': { N: '200' } })).toBe(true);
    expect(await holds('holder IN (:x, :y)', { ':x': { S: 'inc-2' }, ':y': { S: 'inc-1' } })).toBe(true);
    expect(await holds('NOT (holder = :x) AND attribute_exists(expiresAt)', { ':x': { S: 'inc-1' } })).toBe(false);
    expect(await holds('begins_with(holder, :p) OR absent <> :x', { ':p': { S: 'zzz' }, ':x': { S: 'v' } })).toBe(true);
    expect(await holds('contains(tags, :t) AND size(tags) = :two', { ':t': { S: 'b' }, ':two': { N: '2' } })).toBe(true);
    expect(await holds('expiresAt > :s', { ':s': { S: '1' } })).toBe(false);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
  it('counts with ADD under a ceiling condition and answers UPDATED_NEW', async () => {
    const { ddb } = world();
    const increment = () =>
      ddb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { pk: { S: 'containments#111111111111' } },
          UpdateExpression: 'ADD #n :one SET lastAt = :at',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
          ExpressionAttributeNames: { '#n': 'count' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: '2' }, ':at': { S: '2025-01-15T09:00:00Z' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );

    const first = await increment();
    const second = await increment();
    const third = await rejectionOf(increment());

    expect(first.Attributes).toEqual({ count: { N: '1' }, lastAt: { S: '2025-01-15T09:00:00Z' } });
    expect(second.Attributes?.count).toEqual({ N: '2' });
    expect(third.name).toBe('ConditionalCheckFailedException');
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html and
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html
  it('refuses a reserved word used as a bare name, and placeholders no expression uses (ValidationException)', async () => {
    const { ddb } = world();

    const reserved = await rejectionOf(
      ddb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { pk: { S: 'x' } },
          UpdateExpression: 'SET status = :s',
          ExpressionAttributeValues: { ':s': { S: 'quarantined' } },
        }),
      ),
    );
    const unused = await rejectionOf(
      ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'x' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':never': { S: 'x' } },
        }),
      ),
    );

    expect([reserved.name, reserved.message]).toEqual([
      'ValidationException',
      'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status',
    ]);
    expect([unused.name, unused.message]).toEqual(['ValidationException', 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:never}']);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html (ReturnValuesOnConditionCheckFailure)
  it('returns the item that failed the condition with the exception when asked', async () => {
    const { ddb } = world();
    await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'slot' }, holder: { S: 'inc-1' } } }));

    const error = await rejectionOf(
      ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'slot' }, holder: { S: 'inc-2' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toEqual({ pk: { S: 'slot' }, holder: { S: 'inc-1' } });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
  it('queries one partition in sort-key order, with a key condition on the sort key and a filter', async () => {
    const sim = new SeededSimulatedAws({ seed: 'dynamodb-query' });
    sim.addTable({ name: 'timeline', partitionKey: 'incident', sortKey: { name: 'at', type: 'N' } });
    const ddb = sim.clientFactory().dynamodb();
    for (const [at, kind] of [
      [30, 'alert'],
      [10, 'isolate'],
      [20, 'snapshot'],
      [40, 'isolate'],
    ] as const) {
      await ddb.send(new PutItemCommand({ TableName: 'timeline', Item: { incident: { S: 'inc-1' }, at: { N: String(at) }, kind: { S: kind } } }));
    }
    await ddb.send(new PutItemCommand({ TableName: 'timeline', Item: { incident: { S: 'inc-2' }, at: { N: '15' }, kind: { S: 'isolate' } } }));

    const { Items, Count, ScannedCount } = await ddb.send(
      new QueryCommand({
        TableName: 'timeline',
        KeyConditionExpression: 'incident = :i AND #at BETWEEN :from AND :to',
        FilterExpression: 'kind <> :alert',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':i': { S: 'inc-1' }, ':from': { N: '10' }, ':to': { N: '35' }, ':alert': { S: 'alert' } },
        ScanIndexForward: false,
      }),
    );

    expect(Items?.map((item) => item.at?.N)).toEqual(['20', '10']);
    expect([Count, ScannedCount]).toEqual([2, 3]);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
  it('reads several items with BatchGetItem, leaving out the ones that do not exist', async () => {
    const { ddb } = world();
    await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'slot#0' }, holder: { S: 'inc-1' } } }));

    const { Responses, UnprocessedKeys } = await ddb.send(
      new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: [{ pk: { S: 'slot#0' } }, { pk: { S: 'slot#1' } }], ConsistentRead: true } } }),
    );

    expect(Responses).toEqual({ [TABLE]: [{ pk: { S: 'slot#0' }, holder: { S: 'inc-1' } }] });
    expect(UnprocessedKeys).toEqual({});
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
  // names and values in UTF-8 bytes, numbers by significant digits, 3 bytes per list or map plus 1 per element.
  it('counts an item against the 400 KB limit by the DynamoDB size rules, to the byte', async () => {
    const { ddb } = world();
    const limit = 400 * 1024;
    // pk (2 + 4) + n (1 + 2: "1200" has two significant digits) + m (name 1, map 3, k [1 + 1 + 1], l [1 + (3 + 2 x (1 + 1)) + 1]) + the name text (4)
    const fixed = 2 + 4 + (1 + 2) + (1 + 3 + (1 + 1 + 1) + (1 + (3 + 2 * (1 + 1)) + 1)) + 4;
    const item = (textBytes: number) => ({
      pk: { S: 'item' },
      n: { N: '1200' },
      m: { M: { k: { BOOL: true }, l: { L: [{ NULL: true as const }, { BOOL: false }] } } },
      // 'é' is 2 bytes in UTF-8: the limit counts bytes, not characters.
      text: { S: `${'a'.repeat(textBytes - 2)}é` },
    });
    await expect(ddb.send(new PutItemCommand({ TableName: TABLE, Item: item(limit - fixed) }))).resolves.toBeDefined();
    const over = await rejectionOf(ddb.send(new PutItemCommand({ TableName: TABLE, Item: item(limit - fixed + 1) })));
    expect(over).toMatchObject({ name: 'ValidationException', message: 'Item size has exceeded the maximum allowed size' });
    const grown = await rejectionOf(
      ddb.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: 'item' } }, UpdateExpression: 'SET extra = :x', ExpressionAttributeValues: { ':x': { S: 'x' } } })),
    );
    expect(grown).toMatchObject({ name: 'ValidationException', message: 'Item size to update has exceeded the maximum allowed size' });
  });

  it('answers ResourceNotFoundException for a table that does not exist, and a key that does not match the schema', async () => {
    const { ddb } = world();

    const missing = await rejectionOf(ddb.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'x' } } })));
    const badKey = await rejectionOf(ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: { S: 'x' } } })));

    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect([badKey.name, badKey.message]).toEqual(['ValidationException', 'The provided key element does not match the schema']);
  });
});
