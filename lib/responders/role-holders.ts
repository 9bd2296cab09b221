/**
 * Whether a protected instance holds a role whose sessions Firebreak is about to deny (rows 2v, 2x,
 * 2y). The deny applies to the role, so it would cut that workload's credentials too, which the
 * guard never judged: it judged the compromised instance, or the credential a finding names. Used
 * where the deny is written: quarantine-instance (`revokeRoleSessions`) and revoke-role-sessions.
 */
import { ListInstanceProfilesForRoleCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { tagRecord } from '../aws/describe-instance';
import { ResponderAccessDeniedError } from '../contracts/responder-errors';
import type { ProtectionRules } from './containment-guard-rails';
import { protectionOf } from './containment-guard-rails';
import { describeInstancesWhere, FILTER_VALUES } from './instances-where';
import { sendReadOnly } from './mutating';
import { protectedTagOf } from './tag-rules';

/** Where to look for protected instances holding a role: EC2 in the role's account and the incident's region. */
export interface RoleHolderSearch {
  /** Asked for only when an instance profile holds the role. */
  readonly ec2: () => Promise<EC2Client>;
  /** The instance being contained (quarantine-instance): its own holding does not count. */
  readonly instanceId?: string;
  readonly protection: ProtectionRules;
}

/** The states in which an instance may hold a session of its profile's role (a stopped one holds none, and gets new ones when it starts). */
const SESSION_HOLDING_STATES = ['pending', 'running', 'stopping'];

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
 * `iam-instance-profile.arn`, 200 a call, and `instance-state-name` pending, running or stopping,
 * every page), and each is judged by the deployment's rules on the tags EC2 shows now
 * (`protectionOf`: its ids, and the protected tag key in any case). EC2's `tag-key` filter compares
 * exactly, so filtering on the key as the deployment spells it missed `Firebreak:Protected`, which
 * row 2w made protection (row 2y). `ownProfileArn` (quarantine) names the instance's own profile, for
 * the reason. No read when the deployment protects nothing. Left: only the incident's region is
 * read, as EC2 is regional while a role is not.
 */
export async function protectedRoleHolder(search: RoleHolderSearch, iam: IAMClient, roles: readonly string[], ownProfileArn?: string): Promise<string | undefined> {
  if (!protectsAnything(search.protection)) return undefined;
  try {
    return await findProtectedHolder(search, iam, roles, ownProfileArn);
  } catch (error) {
    // A member role deployed before these reads (its stack set is updated apart from the security
    // account's) is denied them: the holders are unknown, so the role keeps its sessions (the safe
    // side for a protected workload), and quarantine still contains the instance. Any other error
    // fails the step as AWS answered (retried when transient), nothing written.
    if (!(error instanceof ResponderAccessDeniedError)) throw error;
    const cut = error.message.indexOf('): ');
    const denied = cut === -1 ? error.message : error.message.slice(0, cut + 1);
    return `the instances holding the role could not be read (${denied}): a protected instance may hold it, so its sessions are kept; update the member-account roles (docs/deploy.md)`;
  }
}

async function findProtectedHolder(search: RoleHolderSearch, iam: IAMClient, roles: readonly string[], ownProfileArn: string | undefined): Promise<string | undefined> {
  const { instanceId, protection } = search;
  const roleOf = new Map<string, string>();
  for (const role of roles) for (const arn of await profilesHolding(iam, role)) if (!roleOf.has(arn)) roleOf.set(arn, role);
  const profiles = [...roleOf.keys()];
  if (profiles.length === 0) return undefined;
  const ec2 = await search.ec2();
  const states = { Name: 'instance-state-name', Values: SESSION_HOLDING_STATES };
  for (let i = 0; i < profiles.length; i += FILTER_VALUES) {
    const holders = await describeInstancesWhere(ec2, [{ Name: 'iam-instance-profile.arn', Values: profiles.slice(i, i + FILTER_VALUES) }, states]);
    for (const holder of holders) {
      const id = holder.InstanceId;
      const profile = holder.IamInstanceProfile?.Arn;
      if (id === undefined || id === instanceId || profile === undefined || !roleOf.has(profile)) continue;
      const tags = tagRecord(holder.Tags);
      const verdict = protectionOf(id, protection, tags);
      if (!verdict.protected) continue;
      const by = verdict.rule === 'instance-id' ? "in the deployment's protected list" : `tagged ${protectedTagOf(tags, protection.protectedTagKey ?? '', 'case-insensitive')?.key ?? protection.protectedTagKey ?? ''}`;
      const what = profile === ownProfileArn ? `the same instance profile ${profile}` : `instance profile ${profile}, which holds the same role ${roleOf.get(profile) ?? ''}`;
      return `protected instance ${id} (${by}) holds ${what}: the deny would cut its workload's sessions too`;
    }
  }
  return undefined;
}
