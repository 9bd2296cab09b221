/**
 * `firebreak incidents` (listIncidents) and the credential records of keys a step found already
 * Inactive with no attempt recorded as setting them: the list reads and checks them as the report
 * does (one consistent GetItem per key, kms:VerifyMac under the record key; exact inputs), gives the
 * same status as the report for the same records, never believes a record it cannot verify (it
 * says the containment is not confirmed), reads none for other incidents, and verifies at most
 * `limit` incidents per run, marking the rest unverified rather than silently.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { childIncidentKey } from '../../lib/incident/keys';
import type { IncidentRecord } from '../../lib/operator/incident-report';
import { buildIncidentReport, keyRecordLookups, possibleSequenceStatuses, statusesOnceVerified } from '../../lib/operator/incident-report';
import type { IncidentSummary } from '../../lib/operator/incidents';
import { listIncidents } from '../../lib/operator/incidents';
import { KmsSealCheck, NoSealCheck, readKeyRecords, reportCredentialRecords } from '../../lib/operator/key-records';
import { credentialMacMessage, keyClaimedDetail } from '../../lib/responders/credential-records';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import { RECORD_MAC_ALGORITHM } from '../../lib/responders/record-mac';
import { sdkError } from '../responders/quarantine-fixtures';
import { ACCOUNT, INCIDENT, KEY, MAC, RECEIVED, RECORD_KEY, TABLE, at, credentialItem, pkOf, sealedRecord } from '../support/operator-key-records';

const dynamodb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);

/**
 * The entries of an incident whose first disable-access-key attempt set the key Inactive and timed
 * out (no entry, only the failure alert); the rerun found the key Inactive.
 */
function timedOutRun(accessKeyId: string, base = RECEIVED): IncidentRecordEntry[] {
  return [
    {
      step: 'publish-alert',
      startedAt: at(61, base),
      endedAt: at(61, base),
      outcome: 'succeeded',
      status: 'published',
      alertKind: 'failure',
      failure: { step: 'disable-access-key', error: 'Sandbox.Timedout' },
      actions: [],
    },
    {
      step: 'disable-access-key',
      startedAt: at(70, base),
      endedAt: at(71, base),
      outcome: 'succeeded',
      status: 'already-inactive',
      mode: 'enforce',
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-iam-user-key-compromise:rerun',
      actions: [{ api: 'iam:UpdateAccessKey', target: accessKeyId, outcome: 'already-done', detail: `${accessKeyId} of user ci-deployer is already Inactive: nothing to change` }],
    },
  ];
}

/** The incident item as the steps write it (what the list's Scan returns). */
function incidentItem(key: string, entries: readonly IncidentRecordEntry[], receivedAt = RECEIVED) {
  return {
    pk: { S: `incident#${key}` },
    account: { S: ACCOUNT },
    region: { S: 'eu-west-1' },
    findingType: { S: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller' },
    receivedAt: { S: receivedAt },
    entries: { L: entries.map((one) => ({ S: JSON.stringify(one) })) },
  };
}

const CONTAINED_ELSEWHERE: IncidentRecordEntry = {
  step: 'disable-access-key',
  startedAt: at(3),
  endedAt: at(4),
  outcome: 'succeeded',
  status: 'disabled',
  mode: 'enforce',
  actions: [{ api: 'iam:UpdateAccessKey', target: 'AKIAOTHERKEYEXAMPLE1', outcome: 'done', detail: 'Set it Inactive' }],
};

const store = (seals: KmsSealCheck | NoSealCheck = new KmsSealCheck(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY)) =>
  reportCredentialRecords(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, seals);

async function list(limit = 25, seals?: KmsSealCheck | NoSealCheck) {
  return listIncidents(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, {}, { keyRecords: { store: store(seals), limit } });
}

const byKey = (incidents: readonly IncidentSummary[], key: string) => incidents.find((incident) => incident.key === key);

beforeEach(() => {
  dynamodb.reset();
  kms.reset();
});

describe('listIncidents with credential records', () => {
  it('reads the record of the key the report would look up, with the same GetItem and VerifyMac, and lists the incident contained as the report does', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY)), incidentItem('gd-plain', [CONTAINED_ELSEWHERE])] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(sealedRecord(INCIDENT, KEY)) });
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
    const listed = await list();
    // Only the incident whose status a record can change is looked up: one GetItem, one VerifyMac.
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: pkOf(KEY) } }, ConsistentRead: true }]);
    expect(kms.commandCalls(VerifyMacCommand).map((call) => call.args[0].input)).toEqual([
      { KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM, Message: credentialMacMessage(sealedRecord(INCIDENT, KEY)), Mac: Buffer.from(MAC, 'base64') },
    ]);
    expect(byKey(listed.incidents, INCIDENT)).toMatchObject({ status: 'contained', keyRecords: { verified: true, confirmed: [KEY], notConfirmed: [] } });
    expect(byKey(listed.incidents, 'gd-plain')).toMatchObject({ status: 'contained' });
    expect(byKey(listed.incidents, 'gd-plain')?.keyRecords).toBeUndefined();
    expect(listed.keyRecords).toEqual({ limit: 25, verified: 1, unverified: 0 });
  });

  it('gives the status the report gives for the same records, whatever the record says', async () => {
    const incident: IncidentRecord = { header: { incidentKey: INCIDENT, account: ACCOUNT, region: 'eu-west-1', receivedAt: RECEIVED }, entries: timedOutRun(KEY), invalidEntries: 0, approvals: [] };
    const { seal: _seal, ...unsealed } = sealedRecord(INCIDENT, KEY);
    const answers: { name: string; item?: ReturnType<typeof credentialItem>; mac?: 'valid' | 'invalid' | 'denied' }[] = [
      { name: 'verified, this incident', item: credentialItem(sealedRecord(INCIDENT, KEY)), mac: 'valid' },
      { name: 'verified, another incident', item: credentialItem(sealedRecord('gd-someone-else', KEY)), mac: 'valid' },
      { name: 'forged', item: credentialItem(sealedRecord(INCIDENT, KEY)), mac: 'invalid' },
      { name: 'VerifyMac refused', item: credentialItem(sealedRecord(INCIDENT, KEY)), mac: 'denied' },
      { name: 'unsealed', item: credentialItem(unsealed) },
      { name: 'no record' },
    ];
    for (const answer of answers) {
      dynamodb.reset();
      kms.reset();
      dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY))] });
      dynamodb.on(GetItemCommand).resolves(answer.item ? { Item: answer.item } : {});
      if (answer.mac === 'valid') kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
      if (answer.mac === 'invalid') kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
      if (answer.mac === 'denied') kms.on(VerifyMacCommand).rejects(sdkError('AccessDeniedException'));
      const keyRecords = await readKeyRecords(store(), keyRecordLookups(incident));
      const report = buildIncidentReport(incident, undefined, { children: [], keyRecords });
      const listed = await list();
      expect({ answer: answer.name, status: listed.incidents[0]?.status }).toEqual({ answer: answer.name, status: report.status });
    }
  });

  it('a forged record (KMS says the MAC does not match) is not believed: the entries\' status, and the containment said to be not confirmed, why', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY))] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(sealedRecord(INCIDENT, KEY)) });
    kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
    const { incidents } = await list();
    expect(incidents).toEqual([
      expect.objectContaining({
        status: 'failed',
        keyRecords: { verified: true, confirmed: [], heldByClaim: [], notConfirmed: [{ accessKeyId: KEY, reason: expect.stringContaining('its credential record failed its integrity check (KMS says the MAC does not match the record') }] },
      }),
    ]);
  });

  it('an unsealed record is not believed, and VerifyMac is not even asked', async () => {
    const { seal: _seal, ...unsealed } = sealedRecord(INCIDENT, KEY);
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY))] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(unsealed) });
    const { incidents } = await list();
    expect(kms.commandCalls(VerifyMacCommand)).toEqual([]);
    expect(incidents[0]).toMatchObject({ status: 'failed', keyRecords: { verified: true, confirmed: [], notConfirmed: [{ accessKeyId: KEY, reason: expect.stringContaining('the record carries no MAC') }] } });
  });

  it('a seal nobody could check (no record key known; VerifyMac refused) is not a check that passed: not confirmed, with the reason', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY))] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(sealedRecord(INCIDENT, KEY)) });
    const noKey = await list(25, new NoSealCheck('no record key is known: --table reads no stack'));
    expect(kms.commandCalls(VerifyMacCommand)).toEqual([]);
    expect(noKey.incidents[0]).toMatchObject({ status: 'failed', keyRecords: { notConfirmed: [{ reason: expect.stringContaining('(no record key is known: --table reads no stack)') }] } });
    kms.on(VerifyMacCommand).rejects(sdkError('AccessDeniedException'));
    const denied = await list();
    expect(denied.incidents[0]).toMatchObject({ status: 'failed', keyRecords: { notConfirmed: [{ reason: expect.stringContaining('kms:VerifyMac AccessDeniedException on the record key') }] } });
  });

  it('verifies at most `limit` incidents, the newest first, and lists the rest as their entries say, marked unverified', async () => {
    const keys = ['AKIAFIRSTKEYEXAMPLE1', 'AKIASECONDKEYEXAMPL2', 'AKIATHIRDKEYEXAMPLE3'];
    const received = ['2026-03-24T03:20:00.000Z', '2026-03-25T03:20:00.000Z', '2026-03-26T03:20:00.000Z'];
    dynamodb.on(ScanCommand).resolves({ Items: keys.map((key, index) => incidentItem(`gd-${index + 1}`, timedOutRun(key, received[index]), received[index])) });
    for (const [index, key] of keys.entries()) {
      dynamodb.on(GetItemCommand, { Key: { pk: { S: pkOf(key) } } }).resolves({ Item: credentialItem(sealedRecord(`gd-${index + 1}`, key, received[index])) });
    }
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
    const listed = await list(2);
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key)).toEqual([{ pk: { S: pkOf(keys[2] as string) } }, { pk: { S: pkOf(keys[1] as string) } }]);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(2);
    expect(listed.incidents.map((incident) => [incident.key, incident.status, incident.keyRecords?.verified])).toEqual([
      ['gd-3', 'contained', true],
      ['gd-2', 'contained', true],
      ['gd-1', 'failed', false],
    ]);
    expect(byKey(listed.incidents, 'gd-1')?.keyRecords).toEqual({ verified: false, accessKeyIds: [keys[0]] });
    expect(listed.keyRecords).toEqual({ limit: 2, verified: 2, unverified: 1 });
  });

  it('reads no credential record when not asked to (limit 0, or no store): every incident that needs one is marked unverified', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY)), incidentItem('gd-plain', [CONTAINED_ELSEWHERE])] });
    const none = await list(0);
    const plain = await listIncidents(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(dynamodb.commandCalls(GetItemCommand)).toEqual([]);
    expect(kms.calls()).toEqual([]);
    for (const listed of [none, plain]) {
      expect(byKey(listed.incidents, INCIDENT)).toMatchObject({ status: 'failed', keyRecords: { verified: false, accessKeyIds: [KEY] } });
      expect(byKey(listed.incidents, 'gd-plain')?.keyRecords).toBeUndefined();
      expect(listed.keyRecords).toMatchObject({ verified: 0, unverified: 1 });
    }
  });

  it("a child incident's verified record makes its sequence contained in the list, as in the gathered report", async () => {
    const parentKey = 'gd-c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3';
    const childKey = childIncidentKey(parentKey, `-${KEY}`);
    const triage: IncidentRecordEntry = { step: 'triage', startedAt: at(0.3), endedAt: at(0.35), outcome: 'succeeded', status: 'start-playbook', actions: [], children: [childKey] };
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(parentKey, [triage]), incidentItem(childKey, timedOutRun(KEY))] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(sealedRecord(childKey, KEY)) });
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
    const { incidents } = await list();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ key: parentKey, status: 'contained', children: [{ key: childKey, status: 'contained', keyRecords: { verified: true, confirmed: [KEY] } }] });
  });
});

describe('listIncidents --status past the verify limit', () => {
  const filtered = (status: IncidentSummary['status'], limit = 0) =>
    listIncidents(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { status }, { keyRecords: { store: store(), limit } });
  /** A timed-out run whose failure alert came after the rerun found the key Inactive: failed, whatever the record says. */
  const failedAfterwards = (accessKeyId: string): IncidentRecordEntry[] => [
    ...timedOutRun(accessKeyId),
    { step: 'publish-alert', startedAt: at(80), endedAt: at(80), outcome: 'succeeded', status: 'published', alertKind: 'failure', failure: { step: 'copy-evidence', error: 'States.TaskFailed' }, actions: [] },
  ];

  it('lists an unverified incident its record could make contained under --status contained, with what its entries say and what it could be', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY)), incidentItem('gd-plain', [CONTAINED_ELSEWHERE])] });
    const listed = await filtered('contained');
    expect(dynamodb.commandCalls(GetItemCommand)).toEqual([]);
    expect(listed.incidents.map((incident) => [incident.key, incident.status, incident.possibleStatuses])).toEqual([
      [INCIDENT, 'failed', ['failed', 'contained']],
      ['gd-plain', 'contained', undefined],
    ]);
    expect(byKey(listed.incidents, INCIDENT)?.keyRecords).toEqual({ verified: false, accessKeyIds: [KEY] });
    expect(listed.keyRecords).toEqual({ limit: 0, verified: 0, unverified: 1 });
  });

  it('lists it under --status failed too, marked as possibly contained rather than certainly failed, and under no status it cannot have', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY)), incidentItem('gd-plain', [CONTAINED_ELSEWHERE])] });
    expect((await filtered('failed')).incidents).toEqual([expect.objectContaining({ key: INCIDENT, status: 'failed', possibleStatuses: ['failed', 'contained'] })]);
    expect((await filtered('open')).incidents).toEqual([]);
    expect((await filtered('released')).incidents).toEqual([]);
  });

  it('an unverified record that could not change the status (a failure alert came after) settles it: not listed under --status contained', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, failedAfterwards(KEY))] });
    expect((await filtered('contained')).incidents).toEqual([]);
    expect((await filtered('failed')).incidents).toEqual([expect.objectContaining({ key: INCIDENT, status: 'failed', possibleStatuses: ['failed'], keyRecords: { verified: false, accessKeyIds: [KEY] } })]);
  });

  it('a verified incident is filtered by its verified status alone and carries no possible statuses', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(INCIDENT, timedOutRun(KEY))] });
    dynamodb.on(GetItemCommand).resolves({ Item: credentialItem(sealedRecord('gd-someone-else', KEY)) });
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
    expect((await filtered('contained', 25)).incidents).toEqual([]);
    const failed = await filtered('failed', 25);
    expect(failed.incidents.map((incident) => [incident.key, incident.status, incident.possibleStatuses])).toEqual([[INCIDENT, 'failed', undefined]]);
  });

  it("a sequence whose child's record was not verified is listed under each status it could have, with the child's possible statuses", async () => {
    const parentKey = 'gd-c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3';
    const childKey = childIncidentKey(parentKey, `-${KEY}`);
    const triage: IncidentRecordEntry = { step: 'triage', startedAt: at(0.3), endedAt: at(0.35), outcome: 'succeeded', status: 'start-playbook', actions: [], children: [childKey] };
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(parentKey, [triage]), incidentItem(childKey, timedOutRun(KEY))] });
    for (const status of ['contained', 'failed'] as const) {
      const { incidents } = await filtered(status);
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({
        key: parentKey,
        status: 'failed',
        possibleStatuses: ['failed', 'contained'],
        children: [{ key: childKey, status: 'failed', possibleStatuses: ['failed', 'contained'], keyRecords: { verified: false, accessKeyIds: [KEY] } }],
      });
    }
    expect((await filtered('open')).incidents).toEqual([]);
  });
});

describe('listIncidents: a key another incident set Inactive, which this incident\'s step claimed (review s20)', () => {
  const SECOND = 'gd-second-finding-on-the-key';
  /** The second incident's step: the key found Inactive, claimed on the first incident's record. */
  const claimRun: IncidentRecordEntry[] = [
    {
      step: 'disable-access-key',
      startedAt: at(5),
      endedAt: at(6),
      outcome: 'succeeded',
      status: 'already-inactive',
      mode: 'enforce',
      actions: [
        { api: 'firebreak:record-credential', target: KEY, outcome: 'done', detail: keyClaimedDetail(KEY, SECOND), at: at(6) },
        { api: 'iam:UpdateAccessKey', target: KEY, outcome: 'already-done', detail: `${KEY} of user ci-deployer is already Inactive: nothing to change`, at: at(6) },
      ],
    },
  ];
  const incident: IncidentRecord = { header: { incidentKey: SECOND, account: ACCOUNT, region: 'eu-west-1', receivedAt: RECEIVED }, entries: claimRun, invalidEntries: 0, approvals: [] };
  /** The first incident's sealed record, with the claims the state table keeps beside it. */
  const firstRecord = (beside: Record<string, unknown> = {}) => ({ ...credentialItem(sealedRecord(INCIDENT, KEY)), ...beside });

  it('lists it as its report does: contained while the verified record carries its claim, not confirmed without it, released once taken back', async () => {
    const answers: { name: string; beside: Record<string, unknown>; status: string; heldByClaim: string[]; notConfirmed: number }[] = [
      { name: 'claim held', beside: { claims: { SS: [SECOND] }, lastClaimAt: { S: at(6) } }, status: 'contained', heldByClaim: [KEY], notConfirmed: 0 },
      { name: 'no claim on the record', beside: {}, status: 'open', heldByClaim: [], notConfirmed: 1 },
      { name: 'claim taken back', beside: { releasedClaims: { SS: [SECOND] }, lastClaimAt: { S: at(6) } }, status: 'released', heldByClaim: [], notConfirmed: 0 },
    ];
    for (const answer of answers) {
      dynamodb.reset();
      kms.reset();
      dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(SECOND, claimRun)] });
      dynamodb.on(GetItemCommand).resolves({ Item: firstRecord(answer.beside) });
      kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
      const report = buildIncidentReport(incident, undefined, { children: [], keyRecords: await readKeyRecords(store(), keyRecordLookups(incident)) });
      const listed = await list();
      const [found] = listed.incidents;
      expect({ answer: answer.name, status: found?.status }).toEqual({ answer: answer.name, status: answer.status });
      expect({ answer: answer.name, status: report.status }).toEqual({ answer: answer.name, status: answer.status });
      expect(found?.keyRecords).toMatchObject({ verified: true, confirmed: [], heldByClaim: answer.heldByClaim });
      expect(found?.keyRecords?.verified === true ? found.keyRecords.notConfirmed.length : -1).toBe(answer.notConfirmed);
    }
  });

  it('past the limit, unverified: every status its claim could give, so that --status contained lists it', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [incidentItem(SECOND, claimRun)] });
    const listed = await list(0);
    expect(listed.incidents[0]).toMatchObject({ status: 'open', keyRecords: { verified: false, accessKeyIds: [KEY] }, possibleStatuses: ['open', 'contained', 'released'] });
    expect(dynamodb.commandCalls(GetItemCommand)).toEqual([]);
  });
});

describe('statusesOnceVerified and possibleSequenceStatuses', () => {
  const lookup = (accessKeyId: string, incidentKey = INCIDENT) => ({ incidentKey, account: ACCOUNT, accessKeyId });

  it("an unread record of this incident: its entries' status first, then what a confirming record would make it", () => {
    expect(statusesOnceVerified(timedOutRun(KEY), INCIDENT, [lookup(KEY)])).toEqual(['failed', 'contained']);
    expect(statusesOnceVerified(timedOutRun(KEY), INCIDENT, [])).toEqual(['failed']);
    // Another incident's record cannot count here.
    expect(statusesOnceVerified(timedOutRun(KEY), INCIDENT, [lookup(KEY, 'gd-someone-else')])).toEqual(['failed']);
  });

  it('past 256 ways of reading the records, says every status is possible rather than guess', () => {
    const keys = Array.from({ length: 9 }, (_, index) => `AKIAMANYKEYSEXAMPL${index}`);
    const [failure, found] = timedOutRun(KEY) as [IncidentRecordEntry, IncidentRecordEntry];
    const entries = [failure, { ...found, actions: keys.map((target) => ({ api: 'iam:UpdateAccessKey', target, outcome: 'already-done' as const, detail: 'already Inactive' })) }];
    expect(statusesOnceVerified(entries, INCIDENT, keys.slice(0, 8).map((key) => lookup(key)))).toEqual(['failed', 'contained']);
    expect(statusesOnceVerified(entries, INCIDENT, keys.map((key) => lookup(key)))).toEqual(['failed', 'open', 'contained', 'released']);
  });

  it("a sequence could have each status its parts' combine to, the one from each part's first status first", () => {
    expect(possibleSequenceStatuses([['open'], ['failed', 'contained']])).toEqual(['failed', 'contained']);
    expect(possibleSequenceStatuses([['released'], ['open', 'contained']])).toEqual(['released', 'contained']);
    expect(possibleSequenceStatuses([['failed'], ['open', 'contained']])).toEqual(['failed']);
  });
});
