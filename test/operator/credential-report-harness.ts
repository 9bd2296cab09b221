/**
 * What the credential report tests share: IAM answered by aws-sdk-client-mock (one mock per test
 * file, as each imports this module in its own worker), the deployment the steps run in, the key the
 * fixture findings name, and disable-access-key run as its Lambda runs it, through recordingHandler,
 * writing its entries where the test keeps the incident records.
 */
import { readFileSync } from 'node:fs';
import { IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import type { CredentialRecordStore } from '../../lib/responders/credential-records';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import { recordingHandler } from '../../lib/responders/incident-record';
import { revokeRoleSessions } from '../../lib/responders/revoke-role-sessions';
import { silentLogger } from '../../lib/responders/logging';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import type { StoredIncidentRecords } from '../support/stored-incident-records';
import { NO_EC2 } from '../support/role-holders';

export const iamMock = mockClient(IAMClient);
const iam = new IAMClient({ region: 'eu-west-1' });
export const clients = { iam: async () => iam };
export const RECEIVED = new Date('2026-03-19T12:00:00.000Z');
export const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };
export const GRANTED_PLAYBOOKS = ['compromised-ec2-instance', 'iam-credentials-attack-sequence-credential'];
/** The access key the fixture findings name. */
export const KEY = 'AKIAQ3EGRW6JCEXAMPLE';

/** A finding of test/fixtures/events, parsed as received at RECEIVED. */
export const fixture = (name: string): Incident =>
  parseEvent(JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')), { receivedAt: RECEIVED });

/** One run of disable-access-key for `incident` with `options`, recorded as its Lambda records it: its handler's answer (it throws as the Lambda would). */
export function recordedDisableAccessKey(
  incident: Incident,
  options: { readonly denyAll: boolean },
  run: { readonly records: StoredIncidentRecords; readonly credentials: CredentialRecordStore; readonly now: () => Date },
): Promise<unknown> {
  const handler = recordingHandler(
    'disable-access-key',
    async (event) =>
      disableAccessKey(event as Parameters<typeof disableAccessKey>[0], {
        clients,
        logger: silentLogger,
        grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
        records: run.credentials,
        environment: { ...ENV, ...playbookStepsEnvironment(options, GRANTED_PLAYBOOKS) },
        now: run.now,
      }),
    { records: { append: run.records.append }, now: run.now },
  );
  return handler({ incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse(options), execution: EXECUTION });
}

/** One run of revoke-role-sessions for `incident`, recorded as its Lambda records it: its handler's answer (it throws as the Lambda would). */
export function recordedRevokeRoleSessions(
  incident: Incident,
  run: { readonly records: StoredIncidentRecords; readonly credentials: CredentialRecordStore; readonly now: () => Date },
): Promise<unknown> {
  const handler = recordingHandler(
    'revoke-role-sessions',
    async (event) =>
      revokeRoleSessions(event as Parameters<typeof revokeRoleSessions>[0], {
        clients,
        ec2Clients: NO_EC2,
        logger: silentLogger,
        grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
        records: run.credentials,
        environment: { ...ENV, ...playbookStepsEnvironment({}, GRANTED_PLAYBOOKS) },
        now: run.now,
      }),
    { records: { append: run.records.append }, now: run.now },
  );
  return handler({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
}
