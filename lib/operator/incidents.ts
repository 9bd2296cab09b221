/**
 * Reading incident records from the deployment's state table (`incident#<key>` items, written by
 * the steps: lib/responders/incident-record.ts) for `firebreak incidents`, `incident <key>` and
 * `report <key>`, and for the game day's report per scenario. One GetItem per incident (plus one per
 * approval asked, `approval#<executionArn>`, where the approval function keeps who answered); the
 * list is a Scan of the `incident#` items with the account and time filters applied by DynamoDB.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { DynamoDbApprovalStore } from '../responders/approval-records';
import type { IncidentRecordHeader } from '../responders/incident-record';
import { incidentRecordKey, RECORD_ENTRIES_ATTRIBUTE } from '../responders/incident-record';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from '../responders/blast-radius';
import type { IncidentRecord, IncidentStatus, RecordedApproval } from './incident-report';
import { incidentStatus, parseRecordEntries } from './incident-report';

/** How many Scan pages `listIncidents` reads at most (1 MB each) before it says the list is cut. */
export const MAX_SCAN_PAGES = 50;

/** What `firebreak incidents` filters on. */
export interface IncidentFilter {
  readonly account?: string;
  readonly status?: IncidentStatus;
  /** Received at or after (ISO 8601). */
  readonly since?: string;
  /** Received at or before (ISO 8601). */
  readonly until?: string;
}

/** One line of `firebreak incidents`. */
export interface IncidentSummary {
  readonly key: string;
  readonly status: IncidentStatus;
  readonly account?: string;
  readonly region?: string;
  readonly findingType?: string;
  readonly severityLabel?: string;
  readonly resource?: string;
  readonly receivedAt?: string;
  readonly updatedAt?: string;
  readonly steps: number;
  readonly gameDay: boolean;
}

type Item = Record<string, AttributeValue>;

function s(item: Item, name: string): string | undefined {
  const value = item[name];
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

function n(item: Item, name: string): number | undefined {
  const value = item[name];
  if (value === undefined || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function b(item: Item, name: string): boolean | undefined {
  const value = item[name];
  return value !== undefined && 'BOOL' in value && typeof value.BOOL === 'boolean' ? value.BOOL : undefined;
}

function some<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The stored item → header and raw entries (strings), never trusting a field's type. */
export function recordFromItem(item: Item): { header: IncidentRecordHeader; stored: string[]; updatedAt?: string; expiresAt?: number } {
  const pk = s(item, 'pk') ?? '';
  const list = item[RECORD_ENTRIES_ATTRIBUTE];
  const stored = list !== undefined && 'L' in list && Array.isArray(list.L) ? list.L.flatMap((value) => ('S' in value && typeof value.S === 'string' ? [value.S] : ['not a string'])) : [];
  const header: IncidentRecordHeader = {
    incidentKey: pk.slice(STATE_KEY_PREFIX.incident.length),
    ...some('account', s(item, 'account')),
    ...some('region', s(item, 'region')),
    ...some('source', s(item, 'source')),
    ...some('findingType', s(item, 'findingType')),
    ...some('severityLabel', s(item, 'severityLabel')),
    ...some('severityScore', n(item, 'severityScore')),
    ...some('resource', s(item, 'resource')),
    ...some('gameDay', b(item, 'gameDay')),
    ...some('sample', b(item, 'sample')),
    ...some('createdAt', s(item, 'createdAt')),
    ...some('receivedAt', s(item, 'receivedAt')),
  };
  return { header, stored, ...some('updatedAt', s(item, 'updatedAt')), ...some('expiresAt', n(item, BLAST_RADIUS_TTL_ATTRIBUTE)) };
}

/** The incident's record, with its approvals; undefined when the table holds none for the key. */
export async function readIncidentRecord(client: DynamoDBClient, table: string, incidentKey: string): Promise<IncidentRecord | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: incidentRecordKey(incidentKey) } }, ConsistentRead: true }));
  if (!Item) return undefined;
  const { header, stored, updatedAt, expiresAt } = recordFromItem(Item);
  const { entries, invalid } = parseRecordEntries(stored);
  // Approvals: where the approval function recorded who answered (authenticated by AWS), per execution that asked.
  const asked = [...new Set(entries.filter((entry) => entry.alertKind === 'approval-request' && entry.executionArn !== undefined).map((entry) => entry.executionArn as string))];
  const store = new DynamoDbApprovalStore(client, table);
  const approvals: RecordedApproval[] = [];
  for (const executionArn of asked) {
    const found = await store.get(executionArn);
    approvals.push(
      found
        ? {
            executionArn,
            requestedAt: found.requestedAt,
            ...some('decision', found.decision),
            ...some('decidedBy', found.decidedBy),
            ...some('decidedAt', found.decidedAt),
            ...some('reason', found.reason),
          }
        : { executionArn },
    );
  }
  return { header, entries, invalidEntries: invalid, ...some('updatedAt', updatedAt), ...some('expiresAt', expiresAt), approvals };
}

/** The Scan input of one page of `listIncidents` (exported for the tests' exact-input checks). */
export function listScanInput(table: string, filter: IncidentFilter, exclusiveStartKey?: Item): ConstructorParameters<typeof ScanCommand>[0] {
  const conditions = ['begins_with(pk, :prefix)'];
  const values: Item = { ':prefix': { S: STATE_KEY_PREFIX.incident } };
  if (filter.account !== undefined) {
    conditions.push('account = :account');
    values[':account'] = { S: filter.account };
  }
  if (filter.since !== undefined) {
    conditions.push('receivedAt >= :since');
    values[':since'] = { S: filter.since };
  }
  if (filter.until !== undefined) {
    conditions.push('receivedAt <= :until');
    values[':until'] = { S: filter.until };
  }
  return {
    TableName: table,
    FilterExpression: conditions.join(' AND '),
    ExpressionAttributeValues: values,
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Incidents of the table, newest first, filtered; `truncated` when MAX_SCAN_PAGES did not reach the end. */
export async function listIncidents(
  client: DynamoDBClient,
  table: string,
  filter: IncidentFilter = {},
  onPage: (page: number, found: number) => void = () => undefined,
): Promise<{ incidents: IncidentSummary[]; truncated: boolean }> {
  const incidents: IncidentSummary[] = [];
  let start: Item | undefined;
  let page = 0;
  do {
    page += 1;
    const answer = await client.send(new ScanCommand(listScanInput(table, filter, start)));
    for (const item of answer.Items ?? []) {
      const { header, stored, updatedAt } = recordFromItem(item);
      const { entries } = parseRecordEntries(stored);
      const status = incidentStatus(entries);
      if (filter.status !== undefined && status !== filter.status) continue;
      incidents.push({
        key: header.incidentKey,
        status,
        ...some('account', header.account),
        ...some('region', header.region),
        ...some('findingType', header.findingType),
        ...some('severityLabel', header.severityLabel),
        ...some('resource', header.resource),
        ...some('receivedAt', header.receivedAt),
        ...some('updatedAt', updatedAt),
        steps: entries.length,
        gameDay: header.gameDay === true,
      });
    }
    start = answer.LastEvaluatedKey;
    onPage(page, incidents.length);
  } while (start !== undefined && page < MAX_SCAN_PAGES);
  incidents.sort((a, b) => (b.receivedAt ?? '').localeCompare(a.receivedAt ?? '') || a.key.localeCompare(b.key));
  return { incidents, truncated: start !== undefined };
}
