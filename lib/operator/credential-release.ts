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
import type { ResponderMode } from '../contracts/responder-mode';
import type { AffectedResource, Incident } from '../incident/model';
import { credentialRecordKey } from '../responders/credential-records';
import type { DeployedStack } from './stack';
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
}

/** Reads the credential's record item (GetItem, consistent): undefined when Firebreak keeps none. */
export async function readCredentialRecordSummary(dynamodb: DynamoDBClient, table: string, account: string, credential: ReleasedCredential): Promise<CredentialRecordSummary | undefined> {
  const key = credential.kind === 'access-key' ? { kind: 'access-key' as const, account, accessKeyId: credential.accessKeyId } : { kind: 'role-sessions' as const, account, roleName: credential.roleName };
  const { Item: item } = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: credentialRecordKey(key) } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released' }),
  );
  if (item?.incidentKey?.S === undefined) return undefined;
  return { incidentKey: item.incidentKey.S, released: item.released?.BOOL === true };
}

/** The incident whose change the release undoes: --incident if given (it must be the record's), else the record's. */
export function chooseIncident(what: string, where: string, summary: CredentialRecordSummary | undefined, incident: string | undefined): string {
  if (summary === undefined) {
    throw new ReleaseSetupError(
      `Firebreak keeps no record of a change to ${what} in ${where}: it changed nothing there (a key someone else deactivated is theirs to re-activate), so there is nothing to release`,
    );
  }
  if (summary.released) throw new ReleaseSetupError(`${what} in ${where} was already released (its record is marked released): nothing to release`);
  if (incident !== undefined && incident !== summary.incidentKey) {
    throw new ReleaseSetupError(`${what} in ${where} was changed by incident ${summary.incidentKey}, not ${incident}: that incident's release undoes it (drop --incident or pass ${summary.incidentKey})`);
  }
  return summary.incidentKey;
}

/** The execution input: what every manual playbook reads. */
export interface CredentialReleaseExecutionInput {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly playbook: typeof CREDENTIAL_RELEASE_PLAYBOOK;
  readonly requestedBy: string;
  readonly reason: string | null;
}

export interface CredentialReleaseParts {
  readonly credential: ReleasedCredential;
  readonly account: string;
  readonly region: string;
  readonly incidentKey: string;
  readonly mode: ResponderMode;
  readonly requestedBy: string;
  readonly reason: string;
  readonly at: Date;
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
  const time = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  if (credential.kind === 'access-key') return `release-key-${credential.accessKeyId}-${time}`;
  const hash = createHash('sha256').update(credential.roleName).digest('hex').slice(0, 8);
  return `release-role-${credential.roleName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}-${hash}-${time}`;
}

/** The execution's name and input (pure). */
export function buildCredentialReleaseRequest(parts: CredentialReleaseParts): { executionName: string; input: CredentialReleaseExecutionInput } {
  const at = new Date(Math.floor(parts.at.getTime() / 1000) * 1000);
  const time = at.toISOString();
  const executionName = credentialReleaseExecutionName(parts.credential, at);
  const { credential, account, region } = parts;
  const from = 'firebreak credentials release';
  const affected: AffectedResource[] =
    credential.kind === 'access-key'
      ? [{ kind: 'access-key', from, account, region, accessKeyId: credential.accessKeyId, temporary: false, userName: credential.userName, userType: 'IAMUser' }]
      : [{ kind: 'iam-role', from, account, region, roleName: credential.roleName }];
  const incident: Incident = {
    key: parts.incidentKey,
    revision: executionName,
    source: 'firebreak',
    findingType: CREDENTIAL_RELEASE_FINDING_TYPE,
    title: `Release of ${describeCredential(credential)} requested by ${parts.requestedBy}`,
    description: parts.reason,
    severity: { score: 0, label: 'Informational' },
    account,
    region,
    // An access-key resource: the containment guard grants an access-key incident's credentials (never an instance).
    resource:
      credential.kind === 'access-key'
        ? { kind: 'access-key', accessKeyId: credential.accessKeyId, userName: credential.userName, userType: 'IAMUser' }
        : { kind: 'access-key', userName: credential.roleName, userType: 'AssumedRole' },
    affected,
    sample: false,
    gameDay: false,
    times: { created: time, updated: time, received: time },
  };
  return { executionName, input: { incident, mode: parts.mode, playbook: CREDENTIAL_RELEASE_PLAYBOOK, requestedBy: parts.requestedBy, reason: parts.reason } };
}

/** The release playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it. */
export function credentialReleaseStateMachineOf(stack: DeployedStack, where: string): string {
  const playbook = stack.playbooks.find((candidate) => candidate.name === CREDENTIAL_RELEASE_PLAYBOOK);
  if (playbook) return playbook.stateMachineArn;
  throw new ReleaseSetupError(
    `stack ${stack.stackName} in ${where} has no ${CREDENTIAL_RELEASE_PLAYBOOK} playbook: deploy playbooks/${CREDENTIAL_RELEASE_PLAYBOOK}.yaml with \`npx cdk deploy\``,
  );
}
