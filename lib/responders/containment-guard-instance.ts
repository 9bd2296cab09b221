/**
 * What the containment guard reads of the instance, and only when a rule needs its current tags
 * (the protected tag key, the game-day opt-in): EC2's answer now, never the finding's copy.
 */
import { describeInstance, tagRecord } from '../aws/describe-instance';
import type { PlaybookRails } from '../contracts/security';
import { SECURITY_TAGS } from '../contracts/security';
import type { Incident } from '../incident/model';
import type { ActionLog } from './action-log';
import { gameDayForbids } from './tag-rules';
import type { ContainmentGuardDeps } from './containment-guard-model';
import type { ProtectionVerdict } from './containment-guard-rails';
import { protectionOf } from './containment-guard-rails';

/**
 * Reads the instance from EC2 when a rule needs its current tags: the protected tag key (contain
 * only), or the game-day opt-in tag (any game-day incident). The configured id list needs no call.
 * An instance that cannot be described cannot be verified and is treated as protected.
 */
export async function lookAtInstance(
  incident: Incident,
  instanceId: string,
  kind: PlaybookRails['kind'],
  gameDay: boolean,
  deps: ContainmentGuardDeps,
  log: ActionLog,
  reasons: string[],
): Promise<ProtectionVerdict | 'unverifiable' | 'terminated' | 'not-a-target'> {
  const { config } = deps;
  const byList = kind === 'contain' ? protectionOf(instanceId, config) : ({ protected: false } as const);
  if (byList.protected) return byList;
  const needsTags = (kind === 'contain' && config.protectedTagKey !== undefined) || gameDay;
  if (!needsTags) return byList;

  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  // A malformed id names no instance: its tags cannot be read, so the guard cannot verify it.
  const lookup = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: incident.account });
  if (!lookup.found) {
    const reason = `Instance ${instanceId} could not be described in ${incident.account}/${incident.region} (${lookup.code}): its current tags, and so its ${gameDay ? 'game-day opt-in' : 'protection'}, cannot be verified; evidence and an alert only.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'unverifiable';
  }
  const currentTags = tagRecord(lookup.instance.Tags);
  if (gameDayForbids(gameDay, currentTags)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    const reason = `Game-day incident: instance ${instanceId} does not carry the tag ${key}=${value} in EC2 now, so a drill may not change it; evidence and an alert only (no blast-radius slot taken).`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'not-a-target';
  }
  const state = lookup.instance.State?.Name;
  if (state === 'terminated') {
    const reason = `Instance ${instanceId} is terminated: nothing to ${kind}, so no blast-radius slot is taken.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'terminated';
  }
  if (kind !== 'contain' || config.protectedTagKey === undefined) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', `Read the current tags of ${instanceId}: it is a game-day target.`);
    return { protected: false };
  }
  const verdict = protectionOf(instanceId, config, currentTags);
  log.record(
    'ec2:DescribeInstances',
    instanceId,
    'observed',
    verdict.protected
      ? `Read the current tags of ${instanceId}: the protected tag key ${config.protectedTagKey} is present.`
      : `Read the current tags of ${instanceId}: no ${config.protectedTagKey} tag, not protected.`,
  );
  return verdict;
}
