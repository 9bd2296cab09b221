/**
 * `firebreak credentials release`, pure parts and the state-table read: which incident changed the
 * credential (its record, credential-records.ts), and the execution of the release-credentials
 * playbook (playbooks/release-credentials.yaml) that undoes it. The command never calls IAM: the
 * playbook's step does, after the guard and a person's approval, and checks again what the command
 * checks here (a record that exists, is unreleased and is the incident's) plus the record's seal,
 * which only the step's role can verify. The command's checks give a clear error early; the step's
 * are the ones that hold.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AffectedResource } from '../incident/model';
import { credentialRecordKey, keyHolders } from '../responders/credential-records';
import type { DeployedStack } from './stack';
import type { ManualExecutionInput, ManualRequest, ManualRequestParts } from './manual-request';
import { buildManualRequest, compactSecond, manualPlaybookStateMachineOf } from './manual-request';
import { ReleaseSetupError } from './release/errors';

/** The playbook `firebreak credentials release` starts. */
export const CREDENTIAL_RELEASE_PLAYBOOK = 'release-credentials';
/** The finding type of a release incident: not a GuardDuty type, so no playbook routes it. */
export const CREDENTIAL_RELEASE_FINDING_TYPE = 'Firebreak:CredentialRelease';

/** The credential a release names: an IAM user's access key, or a role whose sessions were revoked. */
export type ReleasedCredential =
  | { readonly kind: 'access-key'; readonly accessKeyId: string; readonly userName: string }
  | { readonly kind: 'role-sessions'; readonly roleName: string };

/** What the state table says of the credential (the record's unsealed attributes: a claim the step verifies). */
export interface CredentialRecordSummary {
  readonly incidentKey: string;
  readonly released: boolean;
  /** The incidents holding an access key contained: the record's own and those that claimed it since, less those released (credential-records.ts). */
  readonly holders: readonly string[];
  /** Incidents whose hold on the key a release took back. */
  readonly releasedClaims: readonly string[];
}

/** Reads the credential's record item (GetItem, consistent): undefined when Firebreak keeps none. */
export async function readCredentialRecordSummary(dynamodb: DynamoDBClient, table: string, account: string, credential: ReleasedCredential): Promise<CredentialRecordSummary | undefined> {
  const key = credential.kind === 'access-key' ? { kind: 'access-key' as const, account, accessKeyId: credential.accessKeyId } : { kind: 'role-sessions' as const, account, roleName: credential.roleName };
  const { Item: item } = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: credentialRecordKey(key) } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released, claims, releasedClaims' }),
  );
  if (item?.incidentKey?.S === undefined) return undefined;
  const claims = { claims: item.claims?.SS ?? [], releasedClaims: item.releasedClaims?.SS ?? [] };
  return { incidentKey: item.incidentKey.S, released: item.released?.BOOL === true, holders: keyHolders({ incidentKey: item.incidentKey.S }, claims), releasedClaims: claims.releasedClaims };
}

/**
 * The incident whose change the release undoes: --incident if given (it must hold the credential:
 * the record's, or for a key one that claimed it since), else the one incident holding it.
 */
export function chooseIncident(what: string, where: string, summary: CredentialRecordSummary | undefined, incident: string | undefined): string {
  if (summary === undefined) {
    throw new ReleaseSetupError(
      `Firebreak keeps no record of a change to ${what} in ${where}: it changed nothing there (a key someone else deactivated is theirs to re-activate), so there is nothing to release`,
    );
  }
  if (summary.released) throw new ReleaseSetupError(`${what} in ${where} was already released (its record is marked released): nothing to release`);
  const holders = summary.holders.join(', ');
  if (incident !== undefined && !summary.holders.includes(incident)) {
    if (summary.releasedClaims.includes(incident)) {
      throw new ReleaseSetupError(`incident ${incident}'s hold on ${what} in ${where} was already released; incident ${holders} still hold${summary.holders.length === 1 ? 's' : ''} it`);
    }
    throw new ReleaseSetupError(`${what} in ${where} was changed by incident ${summary.incidentKey}, not ${incident}: that incident's release undoes it (drop --incident or pass ${summary.holders[0] ?? summary.incidentKey})`);
  }
  if (incident !== undefined) return incident;
  if (summary.holders.length > 1) {
    throw new ReleaseSetupError(
      `${what} in ${where} is held contained by incidents ${holders}: pass --incident with one of them (each release takes back its own incident's hold; the release of the last one re-activates the key)`,
    );
  }
  return summary.holders[0] ?? summary.incidentKey;
}

/** The execution input: what every manual playbook reads. */
export type CredentialReleaseExecutionInput = ManualExecutionInput<typeof CREDENTIAL_RELEASE_PLAYBOOK>;

/** Everything a credential release is made from: the common parts, the credential, and a reason (required). */
export interface CredentialReleaseParts extends ManualRequestParts {
  readonly credential: ReleasedCredential;
  readonly reason: string;
}

/** How a person names the credential. */
export function describeCredential(credential: ReleasedCredential): string {
  return credential.kind === 'access-key' ? `access key ${credential.accessKeyId} of user ${credential.userName}` : `the revoked sessions of role ${credential.roleName}`;
}

/**
 * `release-key-<key id>-<UTC second>` or `release-role-<role>-<hash>-<UTC second>` (at most 80
 * characters, Step Functions' limit; a role name may be 64 and hold characters a name may not): a
 * request sent twice in the same second starts one execution.
 */
export function credentialReleaseExecutionName(credential: ReleasedCredential, at: Date): string {
  const time = compactSecond(at);
  if (credential.kind === 'access-key') return `release-key-${credential.accessKeyId}-${time}`;
  const hash = createHash('sha256').update(credential.roleName).digest('hex').slice(0, 8);
  return `release-role-${credential.roleName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}-${hash}-${time}`;
}

/** The execution's name and input (pure). */
export function buildCredentialReleaseRequest(parts: CredentialReleaseParts): ManualRequest<CredentialReleaseExecutionInput> {
  const { credential, account, region } = parts;
  const from = 'firebreak credentials release';
  const affected: AffectedResource[] =
    credential.kind === 'access-key'
      ? [{ kind: 'access-key', from, account, region, accessKeyId: credential.accessKeyId, temporary: false, userName: credential.userName, userType: 'IAMUser' }]
      : [{ kind: 'iam-role', from, account, region, roleName: credential.roleName }];
  return buildManualRequest(CREDENTIAL_RELEASE_PLAYBOOK, parts, {
    executionName: (second) => credentialReleaseExecutionName(credential, second),
    findingType: CREDENTIAL_RELEASE_FINDING_TYPE,
    asked: `Release of ${describeCredential(credential)}`,
    // An access-key resource: the containment guard grants an access-key incident's credentials (never an instance).
    resource:
      credential.kind === 'access-key'
        ? { kind: 'access-key', accessKeyId: credential.accessKeyId, userName: credential.userName, userType: 'IAMUser' }
        : { kind: 'access-key', userName: credential.roleName, userType: 'AssumedRole' },
    details: { affected },
  });
}

/** The release playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it. */
export function credentialReleaseStateMachineOf(stack: DeployedStack, where: string): string {
  return manualPlaybookStateMachineOf(stack, where, CREDENTIAL_RELEASE_PLAYBOOK);
}
