/**
 * The custody records the post-incident report reads: for each snapshot an evidence step of the
 * incident named (incident-report.ts `custodyLookups`), copy-evidence's record of its forensic copy
 * (`custody#<incident key>#<source snapshot id>`, lib/responders/snapshot-custody.ts), read with one
 * consistent GetItem and checked as copy-evidence checks it (`verifyStoredCustody`: the custody
 * schema, its key, its hashes, its seal) before the report quotes a word of it.
 *
 * An item that is there but does not validate (a status the schema does not know, among others) is
 * not "no record": the reading is `unreadable`, with why, and the report says so. A seal check that
 * cannot be made (no record key known, VerifyMac refused) is `unreadable` too (key-records.ts).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsErrorCode } from '../aws/errors';
import { CUSTODY_STATUSES, custodyRecordKey, verifyStoredCustody } from '../responders/snapshot-custody';
import type { KmsMac } from '../responders/record-mac';
import { truncateText } from '../responders/snapshot-plan';
import type { CustodyLookup, CustodyReading } from './incident-report';

/** Why a stored custody record did not validate: the status it claims when the schema does not know it (cut to a bound; the report escapes it). */
function notValidating(json: string | undefined): string {
  let status: unknown;
  try {
    status = (JSON.parse(json ?? '') as { status?: unknown } | null)?.status;
  } catch {
    return 'the stored record is not JSON';
  }
  const known: readonly unknown[] = CUSTODY_STATUSES;
  if (typeof status === 'string' && !known.includes(status)) return `its status "${truncateText(status, 64)}" is not one the report knows, so the stored record does not validate`;
  return 'the stored record does not validate against the custody schema';
}

/** Reads and checks the custody record of each snapshot, one after another (a report names few). */
export async function readCustodyRecords(dynamodb: DynamoDBClient, table: string, seals: Pick<KmsMac, 'verify'>, lookups: readonly CustodyLookup[]): Promise<CustodyReading[]> {
  const readings: CustodyReading[] = [];
  for (const lookup of lookups) {
    let item;
    try {
      ({ Item: item } = await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: custodyRecordKey(lookup.incidentKey, lookup.sourceSnapshotId) } }, ConsistentRead: true }),
      ));
    } catch (error) {
      readings.push({ ...lookup, state: 'unreadable', reason: `dynamodb:GetItem ${awsErrorCode(error) ?? 'failed'}` });
      continue;
    }
    if (item === undefined) {
      readings.push({ ...lookup, state: 'absent' });
      continue;
    }
    const json = item.record?.S;
    try {
      const custody = await verifyStoredCustody(json, seals, lookup.incidentKey, lookup.sourceSnapshotId);
      readings.push(custody === undefined ? { ...lookup, state: 'unreadable', reason: notValidating(json) } : { ...lookup, state: 'read', custody });
    } catch (error) {
      // The seal could not be checked (no record key known, VerifyMac refused): not a check that failed.
      readings.push({ ...lookup, state: 'unreadable', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return readings;
}
