/**
 * Whether a protected instance holds a role whose sessions Firebreak is about to deny (rows 2v, 2x,
 * 2y, 2z). The deny applies to the role, so it would cut that workload's credentials too, which the
 * guard never judged: it judged the compromised instance, or the credential a finding names. Used
 * where the deny is written: quarantine-instance (`revokeRoleSessions`) and revoke-role-sessions.
 */
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { ListInstanceProfilesForRoleCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { tagRecord } from '../aws/describe-instance';
import { INSTANCE_REGIONS_ENV } from '../contracts/environment';
import { ResponderAccessDeniedError, ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';
import type { ProtectionRules } from './containment-guard-rails';
import { protectionOf } from './containment-guard-rails';
import { describeInstancesWhere, FILTER_VALUES } from './instances-where';
import { sendReadOnly } from './mutating';
import { protectedTagOf } from './tag-rules';

/** Where to look for protected instances holding a role: EC2 in the role's account, in every region enabled for it (or those the deployment names). */
export interface RoleHolderSearch {
  /** EC2 in the role's account and `region`; asked for only when an instance profile holds the role. */
  readonly ec2: (region: string) => Promise<EC2Client>;
  /** The incident's region: read first, and where EC2 is asked for the account's regions. */
  readonly region: string;
  /** The instance being contained (quarantine-instance): its own holding does not count. */
  readonly instanceId?: string;
  readonly protection: ProtectionRules;
  /**
   * The regions in which the deployment says the served accounts run instances (instanceRegions,
   * `instanceRegionsOf`): those the account has enabled are read with `region`, and no other.
   * Undefined: every enabled region.
   */
  readonly instanceRegions?: readonly string[];
}

/** A region's name as EC2 spells it (DescribeRegions' answer builds a client's endpoint). */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The states in which an instance may hold a session of its profile's role. A stopped one holds
 * none (it gets new ones when it starts) unless it was launched with hibernation configured: a
 * hibernated instance is `stopped`, and its RAM, with the credentials its processes cached (valid
 * for hours), comes back on start, when a deny written meanwhile would cut them (row 2za). EC2 has
 * no filter for "stopped and hibernation configured" beside one for the other states, so stopped
 * instances are read and judged here (`holdsSessions`).
 */
const SESSION_HOLDING_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Whether `instance` may hold its profile role's sessions: not stopped, or stopped with hibernation configured (the safe side: its last stop may have hibernated it). */
function holdsSessions(instance: Instance): boolean {
  return instance.State?.Name !== 'stopped' || instance.HibernationOptions?.Configured === true;
}

/**
 * The regions FIREBREAK_INSTANCE_REGIONS names (the deployment's instanceRegions), or undefined when
 * it is unset. The stack writes region names only; anything else is a claim that cannot be trusted
 * (a narrower search would miss a protected holder), so the step fails before anything is written.
 */
export function instanceRegionsOf(environment: Readonly<Record<string, string | undefined>>): readonly string[] | undefined {
  const value = environment[INSTANCE_REGIONS_ENV];
  if (value === undefined) return undefined;
  const regions = value.split(',').map((region) => region.trim());
  const bad = regions.find((region) => !REGION_NAME.test(region));
  if (bad !== undefined) {
    throw new ResponderFailedError(
      `${INSTANCE_REGIONS_ENV} holds ${JSON.stringify(bad.slice(0, 40))}, not a region name such as eu-west-1: where instances run (instanceRegions, docs/deploy.md) is unknown, so no role's sessions are denied; nothing was written`,
    );
  }
  return [...new Set(regions)];
}

/** Whether the deployment protects any instance (its ids, or a protected tag key): else no holder is looked for. */
export function protectsAnything(protection: ProtectionRules): boolean {
  return protection.protectedInstanceIds.length > 0 || protection.protectedTagKey !== undefined;
}

/** Every instance profile holding `roleName` in the account of `iam` (every page). */
async function profilesHolding(iam: IAMClient, roleName: string): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await sendReadOnly('iam:ListInstanceProfilesForRole', () =>
      iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName, ...(marker !== undefined ? { Marker: marker } : {}) })),
    );
    arns.push(...(page.InstanceProfiles ?? []).flatMap((profile) => (profile.Arn ? [profile.Arn] : [])));
    marker = page.IsTruncated === true && page.Marker ? page.Marker : undefined;
  } while (marker !== undefined);
  return arns;
}

/**
 * Why the sessions of `roles` must stay because a protected instance holds one of them now, or
 * undefined. IAM lists the instance profiles holding each role (iam:ListInstanceProfilesForRole), EC2
 * the instances holding one of those profiles (DescribeInstances filtered on
 * `iam-instance-profile.arn`, 200 a call, and `instance-state-name` pending, running, stopping or
 * stopped, every page; a stopped one only when configured for hibernation, row 2za), and each is
 * judged by the deployment's rules on the tags EC2 shows now
 * (`protectionOf`: its ids, and the protected tag key in any case). EC2's `tag-key` filter compares
 * exactly, so filtering on the key as the deployment spells it missed `Firebreak:Protected`, which
 * row 2w made protection (row 2y). A role is global but EC2 is regional: an instance of another
 * region holds the role as well, so every region enabled for the account is read (DescribeRegions
 * without AllRegions: opted-in or opt-in-not-required; a region not enabled runs no instance), not
 * the incident's alone (row 2z); or, when the deployment names them (instanceRegions), those of
 * them the account has enabled, and the incident's (row 2zd). A region that cannot be read keeps the sessions (refused, naming
 * it: a service control policy denying the region, a member role older than the read); one that
 * fails otherwise fails the step, nothing written. `ownProfileArn` (quarantine) names the instance's
 * own profile, for the reason. No read when the deployment protects nothing.
 */
export async function protectedRoleHolder(search: RoleHolderSearch, iam: IAMClient, roles: readonly string[], ownProfileArn?: string): Promise<string | undefined> {
  const reasons = await protectedRoleHolders(search, iam, roles, ownProfileArn);
  return roles.map((role) => reasons.get(role)).find((reason) => reason !== undefined);
}

/**
 * `protectedRoleHolder` for each of `roles` at once (the roles of one account a credential incident
 * names): the account's regions are listed once, and each region read once with the profiles of
 * every role, not once a role. A role absent from the answer may be revoked; a role no instance
 * profile holds is never kept by a region that cannot be read (no instance can hold it).
 */
export async function protectedRoleHolders(search: RoleHolderSearch, iam: IAMClient, roles: readonly string[], ownProfileArn?: string): Promise<ReadonlyMap<string, string>> {
  const settled = await settledRoleHolders(search, iam, roles, ownProfileArn);
  if (settled.undecided !== undefined) throw settled.undecided.error;
  return settled.reasons;
}

/**
 * `protectedRoleHolders`, a search that cannot decide (a region throttled or failing, IAM failing)
 * naming the roles it leaves undecided instead of throwing: the roles an instance profile holds (or
 * every role, when IAM could not list their profiles). A role no profile holds is decided whatever
 * EC2 answers, so revoke-role-sessions writes its deny, then fails for the others (row 2zf).
 */
export async function settledRoleHolders(
  search: RoleHolderSearch,
  iam: IAMClient,
  roles: readonly string[],
  ownProfileArn?: string,
): Promise<{ readonly reasons: ReadonlyMap<string, string>; readonly undecided?: { readonly roles: readonly string[]; readonly error: unknown } }> {
  if (!protectsAnything(search.protection) || roles.length === 0) return { reasons: new Map() };
  // A profile holds one role, but the incident may name it twice in another case (IAM names are
  // case-insensitive): every name the profile was listed for is kept, and each is judged.
  const rolesOf = new Map<string, string[]>();
  try {
    for (const role of new Set(roles)) for (const arn of await profilesHolding(iam, role)) rolesOf.set(arn, [...(rolesOf.get(arn) ?? []), role]);
  } catch (error) {
    return settledWhenFailed(error, roles);
  }
  // A role no profile holds has no instance holding it: no EC2 read keeps its sessions.
  const held = [...new Set([...rolesOf.values()].flat())];
  if (held.length === 0) return { reasons: new Map() };
  try {
    return { reasons: await findProtectedHolders(search, rolesOf, held, ownProfileArn) };
  } catch (error) {
    return settledWhenFailed(error, held);
  }
}

/** A denial keeps the sessions of `roles` (keptWhenDenied); any other error leaves them undecided. */
function settledWhenFailed(error: unknown, roles: readonly string[]): { readonly reasons: ReadonlyMap<string, string>; readonly undecided?: { readonly roles: readonly string[]; readonly error: unknown } } {
  return error instanceof ResponderAccessDeniedError ? { reasons: keptWhenDenied(error, roles) } : { reasons: new Map(), undecided: { roles, error } };
}

/**
 * A member role deployed before these reads (its stack set is updated apart from the security
 * account's) is denied them: the holders of `roles` are unknown, so they keep their sessions (the
 * safe side for a protected workload), and quarantine still contains the instance. Any other error
 * leaves them undecided (settledWhenFailed).
 */
function keptWhenDenied(error: ResponderAccessDeniedError, roles: readonly string[]): ReadonlyMap<string, string> {
  const reason = `the instances holding the role could not be read (${deniedCall(error)}): a protected instance may hold it, so its sessions are kept; update the member-account roles (docs/deploy.md)`;
  return new Map(roles.map((role) => [role, reason]));
}

/** The denied call and code of a ResponderAccessDeniedError, without AWS's long message. */
function deniedCall(error: ResponderAccessDeniedError): string {
  const cut = error.message.indexOf('): ');
  return cut === -1 ? error.message : error.message.slice(0, cut + 1);
}

/** The regions enabled for the account (EC2 answers in `home`), `home` first, each once. */
async function enabledRegions(ec2: EC2Client, home: string): Promise<string[]> {
  const answer = await sendReadOnly('ec2:DescribeRegions', () => ec2.send(new DescribeRegionsCommand({ AllRegions: false })));
  const others = (answer.Regions ?? []).flatMap((region) => (region.RegionName !== undefined && REGION_NAME.test(region.RegionName) && region.RegionName !== home ? [region.RegionName] : []));
  return [home, ...new Set(others.sort())];
}

/** What reading one region found: each role's protected holder (the reason), or the error that stopped the read. */
type RegionRead = { readonly region: string; readonly holders?: ReadonlyMap<string, string>; readonly error?: unknown };

async function findProtectedHolders(search: RoleHolderSearch, rolesOf: ReadonlyMap<string, readonly string[]>, held: readonly string[], ownProfileArn: string | undefined): Promise<ReadonlyMap<string, string>> {
  const home = await search.ec2(search.region);
  // Every region enabled for the account; or of those, where the deployment says instances run, and
  // the incident's region always: a region an SCP denies (AWS Control Tower's Region deny control)
  // is then not read, and does not keep every session. A named region this account has not enabled
  // (an opt-in region another served account uses) runs no instance here, and EC2 there answers
  // AuthFailure, which read as a denial kept every session of the account (row 2zd).
  const named = search.instanceRegions;
  const enabled = await enabledRegions(home, search.region);
  const regions = named !== undefined ? enabled.filter((region) => region === search.region || named.includes(region)) : enabled;
  // Every region at once: each is its own endpoint, with its own request limits.
  const reads: RegionRead[] = await Promise.all(
    regions.map(async (region) => {
      try {
        const ec2 = region === search.region ? home : await search.ec2(region);
        return { region, holders: await holdersIn(ec2, region, search, rolesOf, ownProfileArn) };
      } catch (error) {
        return { region, error };
      }
    }),
  );
  // Each role's holder in the first region (the incident's first) that shows one.
  const found = new Map<string, string>();
  for (const read of reads) for (const [role, reason] of read.holders ?? []) if (!found.has(role)) found.set(role, reason);
  const unsettled = held.filter((role) => !found.has(role));
  if (unsettled.length === 0) return found;
  const homeError = reads.find((read) => read.region === search.region && read.error !== undefined);
  if (homeError !== undefined) throw homeError.error;
  const denied = reads.filter((read): read is RegionRead & { error: ResponderAccessDeniedError } => read.error instanceof ResponderAccessDeniedError);
  if (denied.length > 0) {
    const where = denied.map((read) => read.region).join(', ');
    const kept = `the instances holding the role in ${where} could not be read (${deniedCall(denied[0]!.error)}): a protected instance may hold it there, so its sessions are kept`;
    const reason =
      named !== undefined
        ? `${kept}; instanceRegions names it: let the member role read EC2 there, or take it out of instanceRegions if the served accounts run no instance there (docs/deploy.md)`
        : `${kept}; let the member role read EC2 in every enabled region (a member role older than the read), or, where a service control policy denies unused regions, set instanceRegions to the regions where the served accounts run instances (docs/deploy.md)`;
    for (const role of unsettled) found.set(role, reason);
    return found;
  }
  const failed = reads.find((read) => read.error !== undefined);
  if (failed !== undefined) throw inRegion(failed.error, failed.region);
  return found;
}

/** The error of a read in `region`, its message naming the region (the step's failure says where). */
function inRegion(error: unknown, region: string): unknown {
  return prefixed(error, `In ${region}: `);
}

/**
 * The error of a search that could not decide, its message first saying whose sessions are kept
 * (`whose`: "role a, b (account …)"), of the same class: the state machine's Retry and Catch read
 * the name, and the failure alert shows the message.
 */
export function sessionsNotRevokedYet(error: unknown, whose: string): unknown {
  return prefixed(error, `The sessions of ${whose} are not revoked yet: `);
}

function prefixed(error: unknown, prefix: string): unknown {
  if (error instanceof TransientResponderError) return new TransientResponderError(`${prefix}${error.message}`, { cause: error });
  if (error instanceof ResponderAccessDeniedError) return new ResponderAccessDeniedError(`${prefix}${error.message}`, { cause: error });
  if (error instanceof ResponderFailedError) return new ResponderFailedError(`${prefix}${error.message}`, { cause: error });
  return error;
}

/** For each role of `rolesOf` a protected instance of `region` holds, the reason (its first such holder). */
async function holdersIn(ec2: EC2Client, region: string, search: RoleHolderSearch, rolesOf: ReadonlyMap<string, readonly string[]>, ownProfileArn: string | undefined): Promise<ReadonlyMap<string, string>> {
  const { instanceId, protection } = search;
  const found = new Map<string, string>();
  const profiles = [...rolesOf.keys()];
  const states = { Name: 'instance-state-name', Values: SESSION_HOLDING_STATES };
  for (let i = 0; i < profiles.length; i += FILTER_VALUES) {
    const holders = await describeInstancesWhere(ec2, [{ Name: 'iam-instance-profile.arn', Values: profiles.slice(i, i + FILTER_VALUES) }, states]);
    for (const holder of holders) {
      const id = holder.InstanceId;
      const profile = holder.IamInstanceProfile?.Arn;
      const roles = profile !== undefined ? rolesOf.get(profile) : undefined;
      // Instance ids are unique within a region only: the contained instance is the incident region's.
      if (id === undefined || (id === instanceId && region === search.region) || profile === undefined || roles === undefined || !holdsSessions(holder)) continue;
      const tags = tagRecord(holder.Tags);
      const verdict = protectionOf(id, protection, tags);
      if (!verdict.protected) continue;
      const by = verdict.rule === 'instance-id' ? "in the deployment's protected list" : `tagged ${protectedTagOf(tags, protection.protectedTagKey ?? '', 'case-insensitive')?.key ?? protection.protectedTagKey ?? ''}`;
      const where = region === search.region ? '' : ` in ${region}`;
      const asleep = holder.State?.Name === 'stopped' ? ', stopped with hibernation configured (its processes resume with the credentials they held),' : '';
      for (const role of roles) {
        if (found.has(role)) continue;
        const what = profile === ownProfileArn ? `the same instance profile ${profile}` : `instance profile ${profile}, which holds the same role ${role}`;
        found.set(role, `protected instance ${id} (${by})${asleep}${where} holds ${what}: the deny would cut its workload's sessions too`);
      }
    }
  }
  return found;
}
