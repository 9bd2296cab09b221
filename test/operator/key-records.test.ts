/**
 * The report's reading of credential records: one consistent GetItem per key and the seal checked
 * with kms:VerifyMac under the deployment's record key (exact inputs), and what the report makes
 * of each answer: a verified record of this incident confirms its change; a MAC KMS refuses is a
 * record not trusted; a check nobody could make (VerifyMac refused, no record key known, GetItem
 * refused) is said to be not confirmed, never taken for a check that failed or passed.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../lib/operator/incident-report';
import { buildIncidentReport, keyRecordLookups } from '../../lib/operator/incident-report';
import { KmsSealCheck, NoSealCheck, readKeyRecords, reportCredentialRecords } from '../../lib/operator/key-records';
import type { AccessKeyRecord } from '../../lib/responders/credential-records';
import { credentialMacMessage } from '../../lib/responders/credential-records';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import { RECORD_MAC_ALGORITHM } from '../../lib/responders/record-mac';
import { sdkError } from '../responders/quarantine-fixtures';
import { ACCOUNT, INCIDENT, KEY, MAC, RECORD_KEY, TABLE, at, credentialItem, pkOf, sealedRecord } from '../support/operator-key-records';

const dynamodb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const PK = pkOf(KEY);

/** The rerun's step that found the key Inactive; the attempt that set it wrote no entry. */
const alreadyInactive: IncidentRecordEntry = {
  step: 'disable-access-key',
  startedAt: at(70),
  endedAt: at(71),
  outcome: 'succeeded',
  status: 'already-inactive',
  mode: 'enforce',
  executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-iam-user-key-compromise:rerun',
  actions: [{ api: 'iam:UpdateAccessKey', target: KEY, outcome: 'already-done', detail: `${KEY} of user ci-deployer is already Inactive: nothing to change` }],
};

const incident: IncidentRecord = {
  header: { incidentKey: INCIDENT, account: ACCOUNT, region: 'eu-west-1', receivedAt: at(0) },
  entries: [alreadyInactive],
  invalidEntries: 0,
  approvals: [],
};

const sealed = sealedRecord(INCIDENT, KEY);

const item = (record: Omit<AccessKeyRecord, 'seal'> & { seal?: AccessKeyRecord['seal'] } = sealed) => credentialItem(record);

async function reportWith(seals: KmsSealCheck | NoSealCheck) {
  const keyRecords = await readKeyRecords(reportCredentialRecords(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, seals), keyRecordLookups(incident));
  return { keyRecords, report: buildIncidentReport(incident, undefined, { children: [], keyRecords }) };
}

const check = () => new KmsSealCheck(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY);

beforeEach(() => {
  dynamodb.reset();
  kms.reset();
});

describe('keyRecordLookups', () => {
  it('names each key found already Inactive that no failed attempt recorded as set, in the incident\'s account', () => {
    expect(keyRecordLookups(incident)).toEqual([{ incidentKey: INCIDENT, account: ACCOUNT, accessKeyId: KEY }]);
  });

  it('names none that a failed attempt of the same execution recorded setting, nor any without an account to look in', () => {
    const failed: IncidentRecordEntry = {
      ...alreadyInactive,
      startedAt: at(60),
      endedAt: at(61),
      outcome: 'failed',
      status: 'TransientResponderError',
      actions: [{ api: 'iam:UpdateAccessKey', target: KEY, outcome: 'done', detail: 'Set it Inactive' }],
    };
    expect(keyRecordLookups({ ...incident, entries: [failed, alreadyInactive] })).toEqual([]);
    expect(keyRecordLookups({ ...incident, header: { incidentKey: INCIDENT } })).toEqual([]);
  });
});

describe('readKeyRecords', () => {
  it('reads the record with one consistent GetItem and checks its seal with kms:VerifyMac under the record key: a verified record of this incident confirms its change', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item() });
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM });
    const { keyRecords, report } = await reportWith(check());
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: PK } }, ConsistentRead: true }]);
    expect(kms.commandCalls(VerifyMacCommand).map((call) => call.args[0].input)).toEqual([
      { KeyId: RECORD_KEY, MacAlgorithm: RECORD_MAC_ALGORITHM, Message: credentialMacMessage(sealed), Mac: Buffer.from(MAC, 'base64') },
    ]);
    expect(keyRecords).toEqual([expect.objectContaining({ state: 'read', record: expect.objectContaining({ verdict: { valid: true } }) })]);
    expect(report.status).toBe('contained');
    expect(report.phases.find((phase) => phase.name === 'containment')).toMatchObject({ at: alreadyInactive.endedAt, timeNotRecorded: true });
  });

  it('a MAC KMS refuses (KMSInvalidMacException): the record is not trusted, the key not claimed', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item() });
    kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
    const { report } = await reportWith(check());
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([expect.stringContaining('is not confirmed: its credential record failed its integrity check (KMS says the MAC does not match the record')]);
  });

  it('VerifyMac refused (the key policy does not name the caller): not a failed check, but not confirmed, and the report says why', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item() });
    kms.on(VerifyMacCommand).rejects(sdkError('AccessDeniedException'));
    const { keyRecords, report } = await reportWith(check());
    expect(keyRecords).toEqual([expect.objectContaining({ state: 'unreadable', reason: 'kms:VerifyMac AccessDeniedException on the record key: its seal could not be checked' })]);
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([
      `${KEY} was found already Inactive by disable-access-key; that this incident set it Inactive is not confirmed: its credential record could not be read and checked (kms:VerifyMac AccessDeniedException on the record key: its seal could not be checked). Check the key's credential record: firebreak credentials release --access-key re-activates the key only if this incident set it Inactive.`,
    ]);
  });

  it('no record key known: no KMS call, the record not believed, and said to be not confirmed', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item() });
    const { report } = await reportWith(new NoSealCheck('no record key is known: --table reads no stack'));
    expect(kms.commandCalls(VerifyMacCommand)).toEqual([]);
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([expect.stringContaining('could not be read and checked (no record key is known: --table reads no stack)')]);
  });

  it('GetItem refused: not confirmed, with the reason', async () => {
    dynamodb.on(GetItemCommand).rejects(sdkError('AccessDeniedException'));
    const { report } = await reportWith(check());
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([expect.stringContaining('could not be read and checked (dynamodb:GetItem was denied (AccessDeniedException)')]);
  });

  it('no record: Firebreak changed nothing there; not claimed, nothing to confirm, no KMS call', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    const { keyRecords, report } = await reportWith(check());
    expect(keyRecords).toEqual([{ incidentKey: INCIDENT, account: ACCOUNT, accessKeyId: KEY, state: 'absent' }]);
    expect(kms.commandCalls(VerifyMacCommand)).toEqual([]);
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([]);
  });

  it('an unsealed record: not believed, and VerifyMac is not even asked', async () => {
    const { seal: _seal, ...unsealed } = sealed;
    dynamodb.on(GetItemCommand).resolves({ Item: item(unsealed) });
    const { report } = await reportWith(check());
    expect(kms.commandCalls(VerifyMacCommand)).toEqual([]);
    expect(report.status).toBe('open');
    expect(report.followUps).toEqual([expect.stringContaining('failed its integrity check (the record carries no MAC)')]);
  });

  it('the report never seals', async () => {
    await expect(check().generate()).rejects.toMatchObject({ name: 'RecordSealUncheckedError' });
    expect(kms.calls()).toEqual([]);
  });
});
