/**
 * Reading incident records from the deployment's state table (`incident#<key>` items, written by
 * the steps: lib/responders/incident-record.ts) for `firebreak incidents`, `incident <key>` and
 * `report <key>`, and for the game day's report per scenario. One GetItem per incident (plus one per
 * approval asked, `approval#<executionArn>`, where the approval function keeps who answered); the
 * list is a Scan of the `incident#` items with the account and time filters applied by DynamoDB,
 * plus, for the few incidents whose status a credential record decides, that record's GetItem and
 * kms:VerifyMac, as the report reads it (./key-records.ts), up to a limit per run.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { TRIAGE_FACTS_ATTRIBUTE } from '../contracts/incident-record';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { DynamoDbApprovalStore } from '../responders/approval-records';
import type { IncidentRecordEntry, IncidentRecordHeader } from '../responders/incident-record';
import { incidentRecordKey, RECORD_ENTRIES_ATTRIBUTE } from '../responders/incident-record';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from '../responders/blast-radius';
import type { CredentialRecordStore } from '../responders/credential-records';
import type { IncidentRecord, IncidentStatus, KeyRecordLookup, RecordedApproval } from './incident-report';
import { incidentStatus, judgeKeyRecords, keyRecordLookups, parseRecordEntries, possibleSequenceStatuses, sequenceStatus, statusesOnceVerified } from './incident-report';
import { readKeyRecords } from './key-records';
import { childKeySuffix, placementHash } from '../incident/keys';
import { RESPONDER_NAMES } from '../contracts/responders';

/** How many Scan pages `listIncidents` reads at most (1 MB each) before it says the list is cut. */
export const MAX_SCAN_PAGES = 50;

/**
 * How many incidents' credential records `firebreak incidents` reads and verifies per run by
 * default (each costs a GetItem and a kms:VerifyMac per key): the newest incidents first; past it
 * an incident is listed as its entries say, marked unverified.
 */
export const DEFAULT_KEY_RECORD_LIMIT = 25;

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
  /** The child incidents gathered under this one (a sequence's per-instance executions), each listed here only. */
  readonly children?: readonly IncidentSummary[];
  /**
   * For an incident whose status a credential record can change (a key a step found already
   * Inactive that no attempt of it recorded setting: the keys the report looks up), what the list
   * made of those records; absent for every other incident, whose status is its entries' alone.
   */
  readonly keyRecords?: ListedKeyRecords;
  /**
   * For an incident whose status depends on a credential record the list did not read (its own,
   * `keyRecords.verified` false, or a child incident's): every status it could have once that
   * record is verified, `status` (its entries') first; the status is settled when it is the only
   * one. `--status` lists the incident when any of them is the status asked for. Absent when no
   * record was left unread.
   */
  readonly possibleStatuses?: readonly IncidentStatus[];
}

/**
 * The credential records of one listed incident: verified (read and judged as the report judges
 * them: the keys a verified record of the incident says it set Inactive, and those another
 * incident set Inactive whose verified record carries this incident's claim, which its step
 * recorded, held still, all of which count in `status`; and those whose record could not be read
 * or believed, or does not carry the claim, which do not), or not read because the list stopped
 * verifying at its limit (`status` is then the entries' alone).
 */
export type ListedKeyRecords =
  | {
      readonly verified: true;
      readonly confirmed: readonly string[];
      /** Keys another incident set Inactive, held for this one by its claim (the claim beside the sealed record is not sealed). */
      readonly heldByClaim: readonly string[];
      readonly notConfirmed: readonly { readonly accessKeyId: string; readonly reason: string }[];
    }
  | { readonly verified: false; readonly accessKeyIds: readonly string[] };

/** How the list reads credential records: through the report's store (key-records.ts), for at most `limit` incidents. */
export interface KeyRecordCheck {
  /** The state table's credential records, their seals checked: key-records.ts `reportCredentialRecords`. */
  readonly store: Pick<CredentialRecordStore, 'get'>;
  readonly limit: number;
}

/** What `listIncidents` does beside the Scan. */
export interface ListOptions {
  readonly onPage?: (page: number, found: number) => void;
  /** Without it no credential record is read: each incident that needs one is listed unverified. */
  readonly keyRecords?: KeyRecordCheck;
}

/** How many incidents' credential records were verified, and how many were left unverified by the limit (before the status filter). */
export interface KeyRecordTally {
  readonly limit: number;
  readonly verified: number;
  readonly unverified: number;
}

/** A child record the parent's report leaves out, and why (its header or key is not the parent's). */
export interface RefusedChild {
  readonly key: string;
  readonly reason: string;
}

/** An incident with the records of its child incidents (a sequence's per-instance executions…). */
export interface GatheredIncident {
  readonly record: IncidentRecord;
  /** Children whose key derives from the parent's and whose header agrees with it, by key. */
  readonly children: readonly IncidentRecord[];
  readonly refused: readonly RefusedChild[];
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
  // The facts as triage read them from the event when it recorded them; else, for a record no
  // triage wrote (or written before they were kept), the first writer's (row 17b).
  const triaged = item[TRIAGE_FACTS_ATTRIBUTE];
  const facts: Item = triaged !== undefined && 'M' in triaged && typeof triaged.M === 'object' && triaged.M !== null ? triaged.M : item;
  const header: IncidentRecordHeader = {
    incidentKey: pk.slice(STATE_KEY_PREFIX.incident.length),
    ...some('account', s(facts, 'account')),
    ...some('region', s(facts, 'region')),
    ...some('source', s(facts, 'source')),
    ...some('findingType', s(facts, 'findingType')),
    ...some('severityLabel', s(facts, 'severityLabel')),
    ...some('severityScore', n(facts, 'severityScore')),
    ...some('resource', s(facts, 'resource')),
    ...some('gameDay', b(facts, 'gameDay')),
    ...some('sample', b(facts, 'sample')),
    ...some('createdAt', s(facts, 'createdAt')),
    ...some('receivedAt', s(facts, 'receivedAt')),
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
    // Only this incident's: a record's entry names whatever execution its payload named (a refused
    // direct invocation of publish-alert is recorded too, row 17b), and the item's incident is the
    // one publish-alert verified against the execution's own input (row 5q).
    if (found === undefined) approvals.push({ executionArn });
    else if (found.incidentKey === incidentKey) {
      approvals.push({
        executionArn,
        requestedAt: found.requestedAt,
        ...some('decision', found.decision),
        ...some('decidedBy', found.decidedBy),
        ...some('decidedAt', found.decidedAt),
        ...some('reason', found.reason),
      });
    }
    // Earlier runs under the same name (Step Functions takes a name again 90 days on): the new run's
    // request replaced theirs and kept their answers (row 5q). The incident's only.
    for (const earlier of found?.earlierDecisions ?? []) {
      if (earlier.incidentKey !== incidentKey) continue;
      approvals.push({
        executionArn,
        earlierRun: true,
        ...some('requestedAt', earlier.requestedAt),
        decision: earlier.decision,
        ...some('decidedBy', earlier.decidedBy),
        ...some('decidedAt', earlier.decidedAt),
        ...some('reason', earlier.reason),
      });
    }
  }
  return { header, entries, invalidEntries: invalid, ...some('updatedAt', updatedAt), ...some('expiresAt', expiresAt), approvals };
}

/** The Scan input of one page of `listIncidents` (exported for the tests' exact-input checks). */
export function listScanInput(table: string, filter: IncidentFilter, exclusiveStartKey?: Item): ConstructorParameters<typeof ScanCommand>[0] {
  const conditions = ['begins_with(pk, :prefix)'];
  const values: Item = { ':prefix': { S: STATE_KEY_PREFIX.incident } };
  // A fact as recordFromItem reads it: triage's when the record has them, else the top-level one.
  const fact = (name: string, comparison: string) => `(${TRIAGE_FACTS_ATTRIBUTE}.${name} ${comparison} OR (attribute_not_exists(${TRIAGE_FACTS_ATTRIBUTE}) AND ${name} ${comparison}))`;
  if (filter.account !== undefined) {
    conditions.push(fact('account', '= :account'));
    values[':account'] = { S: filter.account };
  }
  if (filter.since !== undefined) {
    conditions.push(fact('receivedAt', '>= :since'));
    values[':since'] = { S: filter.since };
  }
  if (filter.until !== undefined) {
    conditions.push(fact('receivedAt', '<= :until'));
    values[':until'] = { S: filter.until };
  }
  return {
    TableName: table,
    FilterExpression: conditions.join(' AND '),
    ExpressionAttributeValues: values,
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Newest received first, then by key. */
function newestFirst(a: IncidentSummary, b: IncidentSummary): number {
  return (b.receivedAt ?? '').localeCompare(a.receivedAt ?? '') || a.key.localeCompare(b.key);
}

/**
 * Incidents of the table, newest first, filtered; `truncated` when MAX_SCAN_PAGES did not reach the
 * end. An incident whose status a credential record can change (keyRecordLookups names a key, as
 * for its report) has that record read and judged as the report does (judgeKeyRecords), so that
 * the list gives it the report's status; at most `keyRecords.limit` of them per run, newest first,
 * the others listed as their entries say and marked unverified. No other incident costs a read.
 */
export async function listIncidents(
  client: DynamoDBClient,
  table: string,
  filter: IncidentFilter = {},
  options: ListOptions = {},
): Promise<{ incidents: IncidentSummary[]; truncated: boolean; keyRecords: KeyRecordTally }> {
  // Entries are kept only for the incidents a credential record may change (lookups): the few the report would read for.
  const read: { summary: IncidentSummary; lookups: KeyRecordLookup[]; entries: readonly IncidentRecordEntry[] }[] = [];
  const claimed = new Map<string, readonly string[]>();
  // Records that are no child whatever their key's shape (notAChild, row 3z): never nested under another.
  const standalone = new Set<string>();
  let start: Item | undefined;
  let page = 0;
  do {
    page += 1;
    const answer = await client.send(new ScanCommand(listScanInput(table, filter, start)));
    for (const item of answer.Items ?? []) {
      const { header, stored, updatedAt } = recordFromItem(item);
      const { entries } = parseRecordEntries(stored);
      const children = claimedChildKeys({ entries });
      if (children.length > 0) claimed.set(header.incidentKey, children);
      if (notAChild({ entries }) !== undefined) standalone.add(header.incidentKey);
      const lookups = keyRecordLookups({ header, entries });
      read.push({
        lookups,
        entries: lookups.length > 0 ? entries : [],
        summary: {
          key: header.incidentKey,
          status: incidentStatus(entries),
          ...some('account', header.account),
          ...some('region', header.region),
          ...some('findingType', header.findingType),
          ...some('severityLabel', header.severityLabel),
          ...some('resource', header.resource),
          ...some('receivedAt', header.receivedAt),
          ...some('updatedAt', updatedAt),
          steps: entries.length,
          gameDay: header.gameDay === true,
        },
      });
    }
    start = answer.LastEvaluatedKey;
    options.onPage?.(page, read.length);
  } while (start !== undefined && page < MAX_SCAN_PAGES);
  // The newest incidents are the ones verified when the limit stops the reads.
  read.sort((a, b) => newestFirst(a.summary, b.summary));
  const limit = options.keyRecords?.limit ?? 0;
  let verified = 0;
  const all: IncidentSummary[] = [];
  for (const { summary, lookups, entries } of read) {
    if (lookups.length === 0) {
      all.push(summary);
    } else if (options.keyRecords === undefined || verified >= limit) {
      all.push({
        ...summary,
        keyRecords: { verified: false, accessKeyIds: lookups.map((lookup) => lookup.accessKeyId) },
        possibleStatuses: statusesOnceVerified(entries, summary.key, lookups),
      });
    } else {
      verified += 1;
      const { unconfirmed, ...verifiedRecords } = judgeKeyRecords(lookups, await readKeyRecords(options.keyRecords.store, lookups));
      all.push({
        ...summary,
        status: incidentStatus(entries, summary.key, verifiedRecords),
        keyRecords: {
          verified: true,
          confirmed: [...verifiedRecords.sealed.values()].map((change) => change.accessKeyId),
          heldByClaim: [...verifiedRecords.claims.values()].filter((claim) => claim.state === 'held').map((claim) => claim.accessKeyId),
          notConfirmed: unconfirmed.map(({ accessKeyId, reason }) => ({ accessKeyId, reason })),
        },
      });
    }
  }
  // A sequence is one incident: its children are nested under it, and the status filter applies to
  // the whole. One whose status an unread record could change is listed for each status it could
  // have (marked so), not only its entries': left out, it would be missing from the very list
  // (--status contained) that its verified record could put it in.
  const wanted = (incident: IncidentSummary) => filter.status === undefined || (incident.possibleStatuses ?? [incident.status]).includes(filter.status);
  const incidents = nestChildren(all, claimed, standalone).filter(wanted);
  incidents.sort(newestFirst);
  // Counted before the status filter: one it left out, which no verified record could give that status, was not verified either.
  const unverified = all.filter((incident) => incident.keyRecords?.verified === false).length;
  return { incidents, truncated: start !== undefined, keyRecords: { limit, verified, unverified } };
}

/** The child keys triage's entries of a record claim (the per-instance executions it started). */
export function claimedChildKeys(record: Pick<IncidentRecord, 'entries'>): string[] {
  return [...new Set(record.entries.filter((entry) => entry.step === RESPONDER_NAMES.triage).flatMap((entry) => entry.children ?? []))];
}

/**
 * Why a record whose key has a child's shape is nonetheless no child, or undefined when it may be
 * one (row 3z). A finding id is any text up to 256 characters to the oversized-event intake, which
 * cannot authenticate its sender: a forged event with the id `<real id>-i-<hex>` is triaged under
 * the key `gd-<real id>-i-<hex>`, a child's shape of the real incident's, in its account and Region,
 * and its record was gathered under the real incident as a resource of its own (its status, its
 * follow-ups). A genuine child gets no triage write of its own (its parent's triage starts it), and
 * its steps confirm their execution (row 17e): a record triaged as an incident of its own, or with
 * no confirmed entry (only direct invocations wrote it), is none.
 */
export function notAChild(record: Pick<IncidentRecord, 'entries'>): string | undefined {
  if (record.entries.some((entry) => entry.step === RESPONDER_NAMES.triage)) return 'it was triaged as an incident of its own: only its key has the shape of a child\'s';
  if (record.entries.length > 0 && record.entries.every((entry) => entry.unconfirmed === true)) return 'no entry of it was confirmed as a playbook execution\'s (only invocations no execution confirmed wrote it)';
  return undefined;
}

/**
 * Why `child` may not be gathered under `parent`, or undefined when it may. A child's record is a
 * claim like any other: its key must derive from the parent's by the child-key scheme
 * (lib/incident/keys.ts `childIncidentKey`), and its header must name the parent's account and
 * Region, or another account and Region that its key itself binds (`-<8 hex of account|Region>`,
 * which triage gives a resource outside the incident's own account: lib/playbooks/per-instance.ts).
 */
export function childRefusal(parent: IncidentRecordHeader, child: IncidentRecordHeader): string | undefined {
  const suffix = childKeySuffix(parent.incidentKey, child.incidentKey);
  if (suffix === undefined) return `its key is not derived from ${parent.incidentKey} by the child-key scheme`;
  if (child.account === parent.account && child.region === parent.region) return undefined;
  if (child.account !== undefined && child.region !== undefined && suffix.endsWith(`-${placementHash(child.account, child.region)}`)) return undefined;
  return `its header names account ${child.account ?? '(none)'}, ${child.region ?? '(no region)'}, which is not the parent's (${parent.account ?? '?'}, ${parent.region ?? '?'}) and which its key does not bind`;
}

/** The Scan input finding the records whose key starts with `<key>-` (exported for the exact-input tests). */
export function childScanInput(table: string, key: string, exclusiveStartKey?: Item): ConstructorParameters<typeof ScanCommand>[0] {
  return {
    TableName: table,
    FilterExpression: 'begins_with(pk, :prefix)',
    ExpressionAttributeValues: { ':prefix': { S: `${incidentRecordKey(key)}-` } },
    ProjectionExpression: 'pk',
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/**
 * An incident with its children: the records triage's entries name (a shortened child key does not
 * start with the parent's), and the records whose key starts with `<key>-` (found even when
 * triage's entry is missing). Each is read and checked (`childRefusal`); refused ones are listed.
 */
export async function readGatheredIncident(client: DynamoDBClient, table: string, incidentKey: string): Promise<GatheredIncident | undefined> {
  const record = await readIncidentRecord(client, table, incidentKey);
  if (!record) return undefined;
  const candidates = new Set(claimedChildKeys(record));
  let start: Item | undefined;
  let page = 0;
  do {
    page += 1;
    const answer = await client.send(new ScanCommand(childScanInput(table, incidentKey, start)));
    for (const item of answer.Items ?? []) {
      const pk = s(item, 'pk');
      if (pk !== undefined) candidates.add(pk.slice(STATE_KEY_PREFIX.incident.length));
    }
    start = answer.LastEvaluatedKey;
  } while (start !== undefined && page < MAX_SCAN_PAGES);
  const children: IncidentRecord[] = [];
  const refused: RefusedChild[] = [];
  for (const key of [...candidates].sort()) {
    if (childKeySuffix(incidentKey, key) === undefined) {
      refused.push({ key, reason: `its key is not derived from ${incidentKey} by the child-key scheme` });
      continue;
    }
    const child = await readIncidentRecord(client, table, key);
    if (!child) continue;
    const reason = childRefusal(record.header, child.header) ?? notAChild(child);
    if (reason === undefined) children.push(child);
    else refused.push({ key, reason });
  }
  return { record, children, refused };
}

/**
 * The list with each child incident nested under its parent (by `childRefusal`, the same check as
 * the report's) rather than listed as an incident of its own; a parent's status is its sequence's.
 */
export function nestChildren(incidents: readonly IncidentSummary[], claimed: ReadonlyMap<string, readonly string[]> = new Map(), standalone: ReadonlySet<string> = new Set()): IncidentSummary[] {
  const byKey = new Map(incidents.map((incident) => [incident.key, incident]));
  const parentOf = new Map<string, string>();
  const header = (incident: IncidentSummary): IncidentRecordHeader => ({
    incidentKey: incident.key,
    ...some('account', incident.account),
    ...some('region', incident.region),
  });
  for (const incident of incidents) {
    if (standalone.has(incident.key)) continue;
    // Candidate parents: every listed key the child's key starts with at a `-`, and every parent that claims it.
    const candidates = new Set<string>();
    for (let at = incident.key.indexOf('-'); at > 0; at = incident.key.indexOf('-', at + 1)) candidates.add(incident.key.slice(0, at));
    for (const [parent, children] of claimed) if (children.includes(incident.key)) candidates.add(parent);
    const parent = [...candidates].filter((key) => key !== incident.key && byKey.has(key)).sort((a, b) => a.length - b.length).find((key) => childRefusal(header(byKey.get(key) as IncidentSummary), header(incident)) === undefined);
    if (parent !== undefined) parentOf.set(incident.key, parent);
  }
  const nested: IncidentSummary[] = [];
  for (const incident of incidents) {
    if (parentOf.has(incident.key)) continue;
    const children = incidents.filter((child) => parentOf.get(child.key) === incident.key);
    if (children.length === 0) {
      nested.push(incident);
      continue;
    }
    const parts = [incident, ...children];
    // A part whose record was not read makes the sequence's status unsettled too.
    const possible = parts.some((part) => part.possibleStatuses !== undefined) ? { possibleStatuses: possibleSequenceStatuses(parts.map((part) => part.possibleStatuses ?? [part.status])) } : {};
    nested.push({ ...incident, status: sequenceStatus(parts.map((part) => part.status)), ...possible, children });
  }
  return nested;
}
