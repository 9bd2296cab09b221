/**
 * DynamoDB tables: PutItem, GetItem, BatchGetItem, UpdateItem, DeleteItem, Query, Scan, DescribeTable, with
 * condition expressions evaluated atomically per item. The simulator answers one call at a time,
 * so two concurrent conditional writes behave as on DynamoDB: exactly one wins, the other gets
 * ConditionalCheckFailedException
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 */
import type {
  BatchGetItemCommandInput,
  DeleteItemCommandInput,
  DescribeTableCommandInput,
  GetItemCommandInput,
  PutItemCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { attributeCompare, evaluateCondition, normalizeNumber, typeOf } from './dynamodb-evaluation';
import { ExpressionPlaceholders, parseCondition, parseProjection, parseUpdate, validationError } from './dynamodb-expressions';
import { applyUpdate, project } from './dynamodb-updates';
import type { Condition, Operand, Path, UpdatePlan } from './dynamodb-expressions';
import { cloneData } from './clone-data';
import { SimulatedServiceError, SimulatorUnsupportedApiError } from './errors';
import type { AttributeValue, Item, KeyAttribute, TableRecord } from './model';
import type { SimWorld } from './world';

const MAX_ITEM_BYTES = 400 * 1024;

function notFound(): SimulatedServiceError {
  return new SimulatedServiceError('ResourceNotFoundException', 'Requested resource not found', 400);
}

function requireTable(world: SimWorld, call: SimCall, name: string | undefined): TableRecord {
  if (!name) throw validationError("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
  const table = [...world.tables.values()].find(
    (t) => t.account === call.account && t.region === call.region && (t.name === name || t.arn === name),
  );
  if (!table) throw notFound();
  return table;
}

function refuseLegacy(call: SimCall, fields: readonly string[]): void {
  const legacy = fields.find((field) => call.input[field] !== undefined);
  if (legacy) throw new SimulatorUnsupportedApiError(`${call.api} (legacy parameter ${legacy})`, `${call.action}Command`);
}

/** Validates an attribute value as DynamoDB does (one type, valid numbers, non-empty sets). */
function checkValue(value: AttributeValue, where: string): AttributeValue {
  const keys = Object.keys(value);
  if (keys.length !== 1) throw validationError(`Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes (${where})`);
  if ('N' in value) return { N: normalizeNumber(value.N) };
  if ('NS' in value) {
    if (value.NS.length === 0) throw validationError('One or more parameter values were invalid: An number set  may not be empty');
    return { NS: value.NS.map(normalizeNumber) };
  }
  if ('SS' in value) {
    if (value.SS.length === 0) throw validationError('One or more parameter values were invalid: An string set  may not be empty');
    if (new Set(value.SS).size !== value.SS.length) throw validationError('One or more parameter values were invalid: Input collection contains duplicates');
  }
  if ('BS' in value && value.BS.length === 0) throw validationError('One or more parameter values were invalid: Binary sets should not be empty');
  if ('L' in value) return { L: value.L.map((v) => checkValue(v, where)) };
  if ('M' in value) return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, checkValue(v, where)])) };
  return value;
}

function checkItem(item: Item): Item {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, checkValue(v, k)]));
}

function keyAttributes(table: TableRecord): KeyAttribute[] {
  return table.sortKey ? [table.partitionKey, table.sortKey] : [table.partitionKey];
}

function checkKeyValue(attribute: KeyAttribute, value: AttributeValue | undefined, missing: () => Error): AttributeValue {
  if (value === undefined) throw missing();
  const type = typeOf(value);
  if (type !== attribute.type) {
    throw validationError(`One or more parameter values were invalid: Type mismatch for key ${attribute.name} expected: ${attribute.type} actual: ${type}`);
  }
  if ('S' in value && value.S === '') {
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${attribute.name}`,
    );
  }
  return value;
}

/** The canonical storage key of an item (or of a Key parameter). */
function storageKey(table: TableRecord, item: Item, missing: (attribute: KeyAttribute) => Error): string {
  return JSON.stringify(
    keyAttributes(table).map((attribute) => {
      const value = checkKeyValue(attribute, item[attribute.name], () => missing(attribute));
      return 'B' in value ? { B: Buffer.from(value.B).toString('base64') } : value;
    }),
  );
}

/** A `Key` parameter must hold exactly the key attributes. */
function keyFromParameter(table: TableRecord, key: Item | undefined): string {
  const given = Object.keys(key ?? {});
  const expected = keyAttributes(table).map((a) => a.name);
  if (given.length !== expected.length || !expected.every((name) => given.includes(name))) {
    throw validationError('The provided key element does not match the schema');
  }
  return storageKey(table, checkItem(key ?? {}), () => validationError('The provided key element does not match the schema'));
}

function keyOf(table: TableRecord, item: Item): Item {
  return Object.fromEntries(keyAttributes(table).map((a) => [a.name, item[a.name] as AttributeValue]));
}

/**
 * A number's size: 1 byte per two significant digits (leading and trailing zeros trimmed), plus 1.
 */
function numberSize(value: string): number {
  const digits = value.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

/** The size of one attribute value, by DynamoDB's rules (see itemSize). */
function valueSize(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('N' in value) return numberSize(value.N);
  if ('B' in value) return value.B.length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((sum, member) => sum + Buffer.byteLength(member, 'utf8'), 0);
  if ('NS' in value) return value.NS.reduce((sum, member) => sum + numberSize(member), 0);
  if ('BS' in value) return value.BS.reduce((sum, member) => sum + member.length, 0);
  // A list or map: 3 bytes of overhead, plus 1 byte per element.
  if ('L' in value) return value.L.reduce((sum, element) => sum + valueSize(element) + 1, 3);
  let size = 3;
  for (const [name, element] of Object.entries(value.M)) size += Buffer.byteLength(name, 'utf8') + valueSize(element) + 1;
  return size;
}

/**
 * An item's size as DynamoDB counts it against the 400 KB limit: each attribute's name in UTF-8
 * bytes plus its value's size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 * Counted by walking the item, without serializing it: record items are written on every step.
 */
function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

function placeholdersOf(input: { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) {
  const values: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(input.ExpressionAttributeValues ?? {})) values[k] = checkValue(v as AttributeValue, k);
  return new ExpressionPlaceholders(input.ExpressionAttributeNames ?? {}, values);
}

function conditionFailed(existing: Item | undefined, returnOld: boolean): SimulatedServiceError {
  return new SimulatedServiceError('ConditionalCheckFailedException', 'The conditional request failed', 400, {
    ...(returnOld && existing ? { extra: { Item: existing } } : {}),
  });
}

/** Throws ConditionalCheckFailedException when the write's condition does not hold for the item as it is. */
function requireCondition(condition: Condition | undefined, existing: Item | undefined, returnOnFailure: string | undefined): void {
  if (condition && !evaluateCondition(condition, existing ?? {})) throw conditionFailed(existing, returnOnFailure === 'ALL_OLD');
}

function pathsTouched(plan: UpdatePlan): string[] {
  const top = (path: Path) => (path[0]?.kind === 'name' ? path[0].name : '');
  return [...new Set([...plan.set.map((a) => top(a.path)), ...plan.remove.map(top), ...plan.add.map((a) => top(a.path)), ...plan.delete.map((a) => top(a.path))])];
}

function pick(item: Item | undefined, names: readonly string[]): Item | undefined {
  if (!item) return undefined;
  const out: Item = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name] as AttributeValue;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Names of the attributes a condition reads (to refuse key attributes in a FilterExpression). */
function conditionNames(condition: Condition): string[] {
  const fromOperand = (o: Operand): string[] => {
    switch (o.kind) {
      case 'path':
      case 'size':
        return o.path[0]?.kind === 'name' ? [o.path[0].name] : [];
      case 'if_not_exists':
        return [...(o.path[0]?.kind === 'name' ? [o.path[0].name] : []), ...fromOperand(o.fallback)];
      case 'list_append':
      case 'arith':
        return [...fromOperand(o.left), ...fromOperand(o.right)];
      case 'value':
        return [];
    }
  };
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...conditionNames(condition.left), ...conditionNames(condition.right)];
    case 'not':
      return conditionNames(condition.operand);
    case 'compare':
      return [...fromOperand(condition.left), ...fromOperand(condition.right)];
    case 'between':
      return [condition.subject, condition.low, condition.high].flatMap(fromOperand);
    case 'in':
      return [condition.subject, ...condition.list].flatMap(fromOperand);
    case 'function':
      return condition.args.flatMap(fromOperand);
  }
}

function flattenAnd(condition: Condition): Condition[] {
  return condition.kind === 'and' ? [...flattenAnd(condition.left), ...flattenAnd(condition.right)] : [condition];
}

function singleName(operand: Operand | undefined): string | undefined {
  return operand?.kind === 'path' && operand.path.length === 1 && operand.path[0]?.kind === 'name' ? operand.path[0].name : undefined;
}

/**
 * Splits a KeyConditionExpression: equality on the partition key, at most one condition on the
 * sort key (=, <, <=, >, >=, BETWEEN, begins_with), as Query requires
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html).
 */
function keyConditions(table: TableRecord, condition: Condition): { partition: Condition; sort?: Condition } {
  const parts = flattenAnd(condition);
  let partition: Condition | undefined;
  let sort: Condition | undefined;
  for (const part of parts) {
    const subject =
      part.kind === 'compare' ? (singleName(part.left) ?? singleName(part.right)) : part.kind === 'between' ? singleName(part.subject) : part.kind === 'function' && part.name === 'begins_with' ? singleName(part.args[0]) : undefined;
    if (subject === table.partitionKey.name && part.kind === 'compare' && part.op === '=' && !partition) partition = part;
    else if (subject !== undefined && subject === table.sortKey?.name && !sort) sort = part;
    else throw validationError('Query key condition not supported');
  }
  if (!partition) throw validationError(`Query condition missed key schema element: ${table.partitionKey.name}`);
  return sort ? { partition, sort } : { partition };
}

function sortItems(table: TableRecord, items: Item[], forward: boolean): Item[] {
  const sortKey = table.sortKey;
  if (!sortKey) return items;
  const sorted = [...items].sort((a, b) => attributeCompare(a[sortKey.name] as AttributeValue, b[sortKey.name] as AttributeValue) ?? 0);
  return forward ? sorted : sorted.reverse();
}

interface PageOptions {
  limit?: number;
  filter?: Condition;
  projection?: Path[];
  select?: string;
}

export function dynamodbHandlers(world: SimWorld): Record<string, ApiHandler> {
  const startAfter = (table: TableRecord, items: Item[], exclusiveStartKey: Item | undefined): Item[] => {
    if (!exclusiveStartKey) return items;
    const start = keyFromParameter(table, exclusiveStartKey);
    const index = items.findIndex((item) => storageKey(table, item, () => validationError('')) === start);
    return index < 0 ? items : items.slice(index + 1);
  };

  /** Query's and Scan's paging options: Limit, FilterExpression, ProjectionExpression, Select. */
  const pageOptions = (input: { Limit?: number; Select?: string }, filter: Condition | undefined, projection: Path[] | undefined): PageOptions => ({
    ...(input.Limit !== undefined ? { limit: input.Limit } : {}),
    ...(filter ? { filter } : {}),
    ...(projection ? { projection } : {}),
    ...(input.Select ? { select: input.Select } : {}),
  });

  const readPage = (table: TableRecord, items: Item[], options: PageOptions) => {
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    }
    const scanned = limit !== undefined ? items.slice(0, limit) : items;
    const matched = options.filter ? scanned.filter((item) => evaluateCondition(options.filter as Condition, item)) : scanned;
    const more = limit !== undefined && items.length > limit;
    const last = scanned[scanned.length - 1];
    return {
      ...(options.select === 'COUNT' ? {} : { Items: matched.map((item) => (options.projection ? project(item, options.projection) : item)) }),
      Count: matched.length,
      ScannedCount: scanned.length,
      ...(more && last ? { LastEvaluatedKey: keyOf(table, last) } : {}),
    };
  };

  return {
    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html */
    PutItem(call) {
      refuseLegacy(call, ['Expected', 'ConditionalOperator']);
      const input = inputOf<PutItemCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      const item = checkItem((input.Item ?? {}) as Item);
      const key = storageKey(table, item, (a) => validationError(`One or more parameter values were invalid: Missing the key ${a.name} in the item`));
      if (itemSize(item) > MAX_ITEM_BYTES) throw validationError('Item size has exceeded the maximum allowed size');
      const placeholders = placeholdersOf(input);
      const condition = input.ConditionExpression !== undefined ? parseCondition(input.ConditionExpression, 'ConditionExpression', placeholders) : undefined;
      placeholders.assertAllUsed();
      const existing = table.items.get(key);
      requireCondition(condition, existing, input.ReturnValuesOnConditionCheckFailure);
      table.items.set(key, cloneData(item));
      return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html */
    GetItem(call) {
      refuseLegacy(call, ['AttributesToGet']);
      const input = inputOf<GetItemCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      const key = keyFromParameter(table, input.Key as Item | undefined);
      const placeholders = placeholdersOf(input);
      const projection = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, placeholders) : undefined;
      placeholders.assertAllUsed();
      const item = table.items.get(key);
      if (!item) return {};
      return { Item: projection ? project(item, projection) : cloneData(item) };
    },

    /**
     * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html — at most
     * 100 keys, no duplicate key; missing items are simply absent from Responses. The simulator
     * never leaves UnprocessedKeys (inject a fault to rehearse throttling).
     */
    BatchGetItem(call) {
      const input = inputOf<BatchGetItemCommandInput>(call);
      const requests = Object.entries(input.RequestItems ?? {});
      const total = requests.reduce((n, [, request]) => n + (request.Keys?.length ?? 0), 0);
      if (requests.length === 0 || total === 0) {
        throw validationError("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
      }
      if (total > 100) throw validationError('Too many items requested for the BatchGetItem call');
      const Responses: Record<string, Item[]> = {};
      for (const [tableName, request] of requests) {
        if (request.AttributesToGet !== undefined) throw new SimulatorUnsupportedApiError(`${call.api} (legacy parameter AttributesToGet)`, 'BatchGetItemCommand');
        const table = requireTable(world, call, tableName);
        const keys = (request.Keys ?? []).map((key) => keyFromParameter(table, key as Item));
        if (new Set(keys).size !== keys.length) throw validationError('Provided list of item keys contains duplicates');
        const placeholders = placeholdersOf(request);
        const projection = request.ProjectionExpression !== undefined ? parseProjection(request.ProjectionExpression, placeholders) : undefined;
        placeholders.assertAllUsed();
        Responses[tableName] = keys
          .map((key) => table.items.get(key))
          .filter((item): item is Item => item !== undefined)
          .map((item) => (projection ? project(item, projection) : item));
      }
      return { Responses, UnprocessedKeys: {} };
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html */
    UpdateItem(call) {
      refuseLegacy(call, ['AttributeUpdates', 'Expected', 'ConditionalOperator']);
      const input = inputOf<UpdateItemCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      const key = keyFromParameter(table, input.Key as Item | undefined);
      const placeholders = placeholdersOf(input);
      const plan = input.UpdateExpression !== undefined ? parseUpdate(input.UpdateExpression, placeholders) : { set: [], remove: [], add: [], delete: [] };
      const condition = input.ConditionExpression !== undefined ? parseCondition(input.ConditionExpression, 'ConditionExpression', placeholders) : undefined;
      placeholders.assertAllUsed();
      const touched = pathsTouched(plan);
      const keyName = keyAttributes(table).find((a) => touched.includes(a.name));
      if (keyName) {
        throw validationError(`One or more parameter values were invalid: Cannot update attribute ${keyName.name}. This attribute is part of the key`);
      }
      const existing = table.items.get(key);
      requireCondition(condition, existing, input.ReturnValuesOnConditionCheckFailure);
      const base: Item = existing ?? (input.Key as Item);
      const updated = checkItem(applyUpdate(base, plan));
      if (itemSize(updated) > MAX_ITEM_BYTES) throw validationError('Item size to update has exceeded the maximum allowed size');
      table.items.set(key, updated);
      switch (input.ReturnValues ?? 'NONE') {
        case 'ALL_NEW':
          return { Attributes: cloneData(updated) };
        case 'ALL_OLD':
          return existing ? { Attributes: existing } : {};
        case 'UPDATED_NEW': {
          const attributes = pick(updated, touched);
          return attributes ? { Attributes: attributes } : {};
        }
        case 'UPDATED_OLD': {
          const attributes = pick(existing, touched);
          return attributes ? { Attributes: attributes } : {};
        }
        default:
          return {};
      }
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html */
    DeleteItem(call) {
      refuseLegacy(call, ['Expected', 'ConditionalOperator']);
      const input = inputOf<DeleteItemCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      const key = keyFromParameter(table, input.Key as Item | undefined);
      const placeholders = placeholdersOf(input);
      const condition = input.ConditionExpression !== undefined ? parseCondition(input.ConditionExpression, 'ConditionExpression', placeholders) : undefined;
      placeholders.assertAllUsed();
      const existing = table.items.get(key);
      requireCondition(condition, existing, input.ReturnValuesOnConditionCheckFailure);
      table.items.delete(key);
      return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html */
    Query(call) {
      refuseLegacy(call, ['KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator']);
      const input = inputOf<QueryCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      if (input.IndexName !== undefined) throw new SimulatorUnsupportedApiError('dynamodb:Query (IndexName)', 'QueryCommand');
      if (input.KeyConditionExpression === undefined) {
        throw validationError('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
      }
      const placeholders = placeholdersOf(input);
      const keyCondition = parseCondition(input.KeyConditionExpression, 'KeyConditionExpression', placeholders);
      const filter = input.FilterExpression !== undefined ? parseCondition(input.FilterExpression, 'FilterExpression', placeholders) : undefined;
      const projection = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, placeholders) : undefined;
      placeholders.assertAllUsed();
      const { partition, sort } = keyConditions(table, keyCondition);
      if (filter) {
        const keyName = conditionNames(filter).find((name) => keyAttributes(table).some((a) => a.name === name));
        if (keyName) throw validationError(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${keyName}`);
      }
      const candidates = [...table.items.values()].filter(
        (item) => evaluateCondition(partition, item) && (!sort || evaluateCondition(sort, item)),
      );
      const ordered = startAfter(table, sortItems(table, candidates, input.ScanIndexForward !== false), input.ExclusiveStartKey as Item | undefined);
      return readPage(table, ordered, pageOptions(input, filter, projection));
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html */
    Scan(call) {
      refuseLegacy(call, ['ScanFilter', 'AttributesToGet', 'ConditionalOperator', 'Segment', 'TotalSegments']);
      const input = inputOf<ScanCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      if (input.IndexName !== undefined) throw new SimulatorUnsupportedApiError('dynamodb:Scan (IndexName)', 'ScanCommand');
      const placeholders = placeholdersOf(input);
      const filter = input.FilterExpression !== undefined ? parseCondition(input.FilterExpression, 'FilterExpression', placeholders) : undefined;
      const projection = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, placeholders) : undefined;
      placeholders.assertAllUsed();
      const ordered = startAfter(table, [...table.items.values()], input.ExclusiveStartKey as Item | undefined);
      return readPage(table, ordered, pageOptions(input, filter, projection));
    },

    /** https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html */
    DescribeTable(call) {
      const input = inputOf<DescribeTableCommandInput>(call);
      const table = requireTable(world, call, input.TableName);
      const keys = keyAttributes(table);
      return {
        Table: {
          TableName: table.name,
          TableArn: table.arn,
          TableStatus: 'ACTIVE',
          CreationDateTime: new Date(table.createdAt),
          ItemCount: table.items.size,
          KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
          BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        },
      };
    },
  };
}
