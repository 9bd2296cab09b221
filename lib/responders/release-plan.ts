/**
 * release-instance's pure decision: what must change for the instance to match its pre-quarantine
 * record (groups per ENI, profile, protections, Firebreak's tags). Plain data in and out, tested
 * without any SDK mock (test/responders/quarantine-plan.test.ts).
 */
import type { ObservedInstance } from './instance-state';
import { FIREBREAK_TAGS } from './instance-state';
import type { QuarantineRecord } from './quarantine-records';
import type * as z from '../contracts/zod-mini';
import type { ACTIONS } from '../playbooks/actions';

/** The step's options (`releaseOptionsSchema`: defaults live in the playbook action registry, in one place). */
export type ReleaseOptions = z.output<(typeof ACTIONS)['release-instance']['options']>;

/** Firebreak's quarantine tags that release restores to their recorded value (or removes). */
const RESTORED_TAGS = [FIREBREAK_TAGS.incident, FIREBREAK_TAGS.quarantinedAt] as const;

const sameGroups = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((g, i) => g === [...b].sort()[i]);

/** What release must change to match the record (pure). */
export interface ReleasePlan {
  readonly networkInterfaces: readonly { readonly id: string; readonly from: readonly string[]; readonly to: readonly string[] }[];
  /** Recorded ENIs in the right groups already, or no longer attached. */
  readonly unchangedInterfaces: readonly { readonly id: string; readonly why: 'already' | 'detached' }[];
  readonly disableApiTermination?: boolean;
  readonly shutdownBehavior?: 'stop' | 'terminate';
  readonly deleteOnTermination: readonly { readonly deviceName: string; readonly deleteOnTermination: boolean }[];
  readonly profile:
    | { readonly action: 'associate'; readonly arn: string }
    | { readonly action: 'none'; readonly why: string; readonly outcome: 'already-done' | 'skipped' };
  /** Tags to set (release markers plus recorded values) and tags to remove (absent before). */
  readonly setTags: Readonly<Record<string, string>>;
  readonly removeTags: readonly string[];
}

/** Compares the instance with its record and lists the changes that restore it (pure). */
export function planRelease(
  record: QuarantineRecord,
  instance: ObservedInstance,
  options: Pick<ReleaseOptions, 'restoreInstanceProfile'>,
  releasedAt: string,
): ReleasePlan {
  const networkInterfaces: { id: string; from: readonly string[]; to: readonly string[] }[] = [];
  const unchangedInterfaces: { id: string; why: 'already' | 'detached' }[] = [];
  for (const recorded of record.networkInterfaces) {
    const current = instance.networkInterfaces.find((e) => e.networkInterfaceId === recorded.networkInterfaceId);
    if (!current) unchangedInterfaces.push({ id: recorded.networkInterfaceId, why: 'detached' });
    else if (sameGroups(current.groupIds, recorded.groupIds)) unchangedInterfaces.push({ id: recorded.networkInterfaceId, why: 'already' });
    else networkInterfaces.push({ id: recorded.networkInterfaceId, from: current.groupIds, to: recorded.groupIds });
  }

  const deleteOnTermination = record.deleteOnTermination.flatMap((recorded) => {
    const current = instance.ebsVolumes.find((v) => v.deviceName === recorded.deviceName);
    // A volume replaced since (other id on the same device) is not the one recorded: leave it.
    if (!current || (recorded.volumeId && current.volumeId && current.volumeId !== recorded.volumeId)) return [];
    return current.deleteOnTermination === recorded.deleteOnTermination
      ? []
      : [{ deviceName: recorded.deviceName, deleteOnTermination: recorded.deleteOnTermination }];
  });

  const currentArn = instance.profileAssociation?.instanceProfileArn;
  let profile: ReleasePlan['profile'];
  if (!record.instanceProfileArn) {
    profile = currentArn
      ? { action: 'none', outcome: 'skipped', why: `No profile was associated before quarantine; ${currentArn} was associated since and is left as it is` }
      : { action: 'none', outcome: 'already-done', why: 'No instance profile before quarantine, none now' };
  } else if (currentArn === record.instanceProfileArn) {
    profile = { action: 'none', outcome: 'already-done', why: `${currentArn} is associated already` };
  } else if (currentArn) {
    profile = {
      action: 'none',
      outcome: 'skipped',
      why: `${currentArn} was associated since quarantine; it is not replaced by the recorded ${record.instanceProfileArn}`,
    };
  } else if (!options.restoreInstanceProfile) {
    profile = {
      action: 'none',
      outcome: 'skipped',
      why: `Option restoreInstanceProfile is off: ${record.instanceProfileArn} stays disassociated`,
    };
  } else {
    profile = { action: 'associate', arn: record.instanceProfileArn };
  }

  const setTags: Record<string, string> = {
    [FIREBREAK_TAGS.status]: 'released',
    [FIREBREAK_TAGS.releasedAt]: releasedAt,
  };
  const removeTags: string[] = [];
  for (const key of RESTORED_TAGS) {
    const before = record.tags[key];
    if (before !== undefined) {
      if (instance.tags[key] !== before) setTags[key] = before;
    } else if (instance.tags[key] !== undefined) {
      removeTags.push(key);
    }
  }

  return {
    networkInterfaces,
    unchangedInterfaces,
    ...(instance.disableApiTermination !== record.disableApiTermination ? { disableApiTermination: record.disableApiTermination } : {}),
    ...(instance.shutdownBehavior !== record.shutdownBehavior ? { shutdownBehavior: record.shutdownBehavior } : {}),
    deleteOnTermination,
    profile,
    setTags,
    removeTags,
  };
}
