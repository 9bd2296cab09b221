/**
 * The claims on an instance (or an S3 object version) whose release the guard clears: the approval request shows the approver
 * whether the release will restore the instance (its incident holds the last claim) or only take
 * back that incident's claim while other incidents keep it quarantined (quarantine-records.ts). One
 * consistent GetItem of the record's release attributes (quarantine-release-state.ts), never the
 * record itself. The capture and claim serial come in the same read: the guard binds them into the
 * release's grant, and release-instance restores only that record at that serial, so that an
 * approval covers no claim written after it was asked for. A read that fails never holds the
 * release back: the approval request says the claims could not be read, the grant binds no record,
 * and release-instance then restores nothing (it may still take back its incident's claim).
 */
import type { ActionLog } from './action-log';
import type { GuardReleaseClaims, GuardReleaseDnsBlocks } from './containment-guard-model';
import type { DnsBlockStore } from './dns-block-records';
import type { QuarantineReleaseStates } from './quarantine-release-state';
import { claimSerialOf, claimsOf } from './quarantine-release-state';
import type { ClaimedObject, S3ObjectClaims } from './s3-object-claims';
import { describeObject } from './s3-malware-object';

/** The most incidents a guard result lists (the count says how many hold the instance): the result rides in the execution's state, at most 256 KiB. */
export const MAX_LISTED_RELEASE_CLAIMS = 10;
/** The most characters kept of one incident key read from the table (Firebreak's keys are far shorter). */
const MAX_CLAIM_LENGTH = 128;

/** Reads which incidents hold `instanceId` quarantined, bounded for the guard's result. */
export async function readReleaseClaims(
  states: QuarantineReleaseStates,
  target: { readonly account: string; readonly region: string; readonly instanceId: string },
  log: ActionLog,
): Promise<GuardReleaseClaims> {
  const { account, region, instanceId } = target;
  let state;
  try {
    state = await states.releaseStateOf(account, region, instanceId);
  } catch (error) {
    const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
    log.record('dynamodb:GetItem', instanceId, 'skipped', `Could not read which incidents hold ${instanceId} (${reason}): the approval request cannot say whether this release restores it`);
    return { record: 'unreadable', reason };
  }
  if (state === undefined) {
    log.record('dynamodb:GetItem', instanceId, 'observed', `Firebreak holds no pre-quarantine record of ${instanceId}`);
    return { record: 'no-record' };
  }
  if (state.released) {
    log.record('dynamodb:GetItem', instanceId, 'observed', `The pre-quarantine record of ${instanceId} is already released`);
    return { record: 'released' };
  }
  const claims = claimsOf(state);
  const listed = claims.slice(0, MAX_LISTED_RELEASE_CLAIMS).map((key) => key.slice(0, MAX_CLAIM_LENGTH));
  const claimSerial = claimSerialOf(state);
  const version = state.capturedAt !== undefined ? ` (capture of ${state.capturedAt}, claim serial ${claimSerial})` : '';
  log.record('dynamodb:GetItem', instanceId, 'observed', `${instanceId} is held quarantined by ${claims.length} incident(s): ${listed.join(', ')}${claims.length > listed.length ? ', ...' : ''}${version}`);
  return { record: 'held', claims: listed, claimCount: claims.length, ...(state.capturedAt !== undefined ? { capturedAt: state.capturedAt } : {}), claimSerial };
}

/** The most characters kept of one domain read from the table (a DNS name is at most 253). */
const MAX_DOMAIN_LENGTH = 253;

/**
 * Reads the DNS Firewall blocks claimed on `instanceId` (block-dns-domain's index, one consistent
 * GetItem), bounded for the guard's result: those of the release's incident are what the release
 * playbook's unblock step takes back, VPC-wide, so the approval request names them (row 5r). A read
 * that fails never holds the release back: the request says the blocks could not be read.
 */
export async function readReleaseDnsBlocks(
  blocks: Pick<DnsBlockStore, 'blocksOfInstance'>,
  target: { readonly account: string; readonly region: string; readonly instanceId: string },
  incidentKey: string,
  log: ActionLog,
): Promise<GuardReleaseDnsBlocks> {
  const { account, region, instanceId } = target;
  let claimed;
  try {
    claimed = await blocks.blocksOfInstance(account, region, instanceId);
  } catch (error) {
    const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
    log.record('dynamodb:GetItem', instanceId, 'skipped', `Could not read the DNS Firewall blocks claimed on ${instanceId} (${reason}): the approval request cannot name the domains the release lifts`);
    return { record: 'unreadable', reason };
  }
  const domainsOf = (mine: boolean) => [...new Set(claimed.filter((block) => (block.incidentKey === incidentKey) === mine).map((block) => block.domain))].sort();
  const own = domainsOf(true);
  const others = domainsOf(false).filter((domain) => !own.includes(domain));
  const listed = (domains: readonly string[]) => domains.slice(0, MAX_LISTED_RELEASE_CLAIMS).map((domain) => domain.slice(0, MAX_DOMAIN_LENGTH));
  log.record(
    'dynamodb:GetItem',
    instanceId,
    'observed',
    own.length + others.length === 0
      ? `No DNS Firewall block is claimed on ${instanceId}`
      : `DNS Firewall blocks claimed on ${instanceId}: by incident ${incidentKey.slice(0, MAX_CLAIM_LENGTH)}, ${own.length} (${listed(own).join(', ')}${own.length > MAX_LISTED_RELEASE_CLAIMS ? ', ...' : ''}); by other incidents, ${others.length}`,
  );
  return { record: 'read', domains: listed(own), domainCount: own.length, others: listed(others), otherCount: others.length };
}

/**
 * Reads which incidents hold an S3 object version tagged infected (its claims item, one consistent
 * GetItem: s3-object-claims.ts), bounded for the guard's result, so that the approval request says
 * whether approving takes the infected tags off or only takes back this incident's claim. As for an
 * instance, a read that fails never holds the release back: the request says so, and the release
 * reads the claims itself before it writes (release-s3-object.ts).
 */
export async function readObjectReleaseClaims(claims: Pick<S3ObjectClaims, 'get'>, object: ClaimedObject, log: ActionLog): Promise<GuardReleaseClaims> {
  const target = describeObject(object);
  let read;
  try {
    read = await claims.get(object);
  } catch (error) {
    const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
    log.record('dynamodb:GetItem', target, 'skipped', `Could not read which incidents hold ${target} (${reason}): the approval request cannot say whether this release takes its infected tags off`);
    return { of: 's3-object', record: 'unreadable', reason };
  }
  if (read.claims.length === 0) {
    const released = read.releasedClaims.length > 0;
    log.record('dynamodb:GetItem', target, 'observed', released ? `Every incident that held ${target} took its claim back` : `No incident holds a claim on ${target}`);
    return { of: 's3-object', record: released ? 'released' : 'no-record' };
  }
  const listed = read.claims.slice(0, MAX_LISTED_RELEASE_CLAIMS).map((key) => key.slice(0, MAX_CLAIM_LENGTH));
  log.record('dynamodb:GetItem', target, 'observed', `${target} is held tagged infected by ${read.claims.length} incident(s): ${listed.join(', ')}${read.claims.length > listed.length ? ', ...' : ''}`);
  return { of: 's3-object', record: 'held', claims: listed, claimCount: read.claims.length };
}
