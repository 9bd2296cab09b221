/**
 * The parts of the pre-quarantine record that quarantine-instance adds for fleets (issue 11): the
 * Auto Scaling group the instance was taken out of, and the load balancers it served. Both are
 * optional: records written before stay valid and restore as before. They are sealed with the rest
 * of the record (record-integrity.ts): a changed group name or target group would otherwise turn
 * a release into putting the instance behind someone else's load balancer.
 *
 * zod/mini (lib/contracts/zod-mini.ts): this schema is bundled into the quarantine and release Lambdas.
 */
import * as z from '../contracts/zod-mini';

/** How quarantine-instance takes an instance out of its group's hands (playbook option `autoScaling`). */
export const AUTO_SCALING_MODES = ['detach', 'standby'] as const;
export type AutoScalingMode = (typeof AUTO_SCALING_MODES)[number];

export const autoScalingRecordSchema = z.object({
  /** The group the instance belonged to (DescribeAutoScalingInstances). */
  groupName: z.string().check(z.minLength(1)),
  /**
   * The group's ARN (DescribeAutoScalingGroups), whose id part is new for every group: a name is
   * reusable once its group is deleted, so release attaches only to the group of this ARN (row 3j).
   * Absent from records written before; release then compares the group's creation time with the capture.
   */
  groupArn: z.optional(z.string().check(z.minLength(1))),
  /** What quarantine did: detach (the group launched a replacement) or standby. */
  mode: z.enum(AUTO_SCALING_MODES),
  /** The instance's lifecycle state in the group at capture time (InService, Standby…). */
  lifecycleState: z.string(),
  /** Its scale-in protection at capture time: release sets it back. */
  protectedFromScaleIn: z.boolean(),
  /** The group's capacity at capture time (release reports it beside the group's capacity then). */
  desiredCapacity: z.number().check(z.int()),
  minSize: z.number().check(z.int()),
  maxSize: z.number().check(z.int()),
});
export type AutoScalingRecord = z.output<typeof autoScalingRecordSchema>;

/** One registration of the instance in an Application or Network Load Balancer target group. */
export const targetRegistrationSchema = z.object({
  targetGroupArn: z.string().check(z.minLength(1)),
  /** The target id: the instance id (instance targets) or one of its private IPs (ip targets). */
  targetId: z.string().check(z.minLength(1)),
  /**
   * For an ip target: the instance's ENI that held the address (in the target group's VPC). Release
   * registers the address again only while this ENI holds it (row 3n). Absent from records written before.
   */
  networkInterfaceId: z.optional(z.string().check(z.minLength(1))),
  port: z.optional(z.number().check(z.int())),
  /** Set for targets registered with an explicit Availability Zone (`all` for IPs outside the VPC). */
  availabilityZone: z.optional(z.string()),
  /** The group's own target group: the group registers the instance itself when it returns. */
  managedByGroup: z.boolean(),
  /**
   * Found by a later run, made since the capture (row 3v): deregistered and recorded, but never
   * registered again by release, as it is not where the instance was before the incident (row 3w).
   */
  foundSinceCapture: z.optional(z.boolean()),
});
export type TargetRegistration = z.output<typeof targetRegistrationSchema>;

/** One Classic Load Balancer the instance was registered with. */
export const classicRegistrationSchema = z.object({
  loadBalancerName: z.string().check(z.minLength(1)),
  managedByGroup: z.boolean(),
  /** As a target's `foundSinceCapture` (row 3w). */
  foundSinceCapture: z.optional(z.boolean()),
});
export type ClassicRegistration = z.output<typeof classicRegistrationSchema>;

export const loadBalancerRecordSchema = z.object({
  targets: z.array(targetRegistrationSchema),
  classic: z.array(classicRegistrationSchema),
});
export type LoadBalancerRecord = z.output<typeof loadBalancerRecordSchema>;

/**
 * The registrations of `found` that `kept` does not hold (pure): a target is the same one by its
 * target group, id, port and zone (whoever manages it, whichever ENI holds its address now), a
 * Classic Load Balancer by its name. A later run on a kept record adds these to it before it
 * deregisters them, so that release names them (row 3v); it never registers them again (row 3w).
 */
export function newRegistrations(kept: LoadBalancerRecord, found: LoadBalancerRecord): LoadBalancerRecord {
  const key = (t: TargetRegistration) => JSON.stringify([t.targetGroupArn, t.targetId, t.port ?? null, t.availabilityZone ?? null]);
  const keptTargets = new Set(kept.targets.map(key));
  const keptClassic = new Set(kept.classic.map((c) => c.loadBalancerName));
  return { targets: found.targets.filter((t) => !keptTargets.has(key(t))), classic: found.classic.filter((c) => !keptClassic.has(c.loadBalancerName)) };
}

/**
 * Whether a group or Classic Load Balancer created at `createdTime` may be one created again under
 * its name since the capture (pure): created in the capture's second or later. The capture time is
 * Firebreak's clock, the creation time the service's, which may give whole seconds: one made again
 * in the same second as the capture would otherwise read as before it (row 3m). A time that does not
 * parse counts as after.
 */
export function createdSinceCapture(createdTime: Date | string, capturedAt: string): boolean {
  const created = typeof createdTime === 'string' ? Date.parse(createdTime) : createdTime.getTime();
  const captureSecond = Math.floor(Date.parse(capturedAt) / 1000) * 1000;
  return !(created < captureSecond);
}

/** The sealed form of the fleet fields (record-integrity.ts): absent fields add nothing, so older records keep their MAC. */
export function canonicalFleetFields(record: { readonly autoScaling?: AutoScalingRecord; readonly loadBalancers?: LoadBalancerRecord }): Record<string, unknown> {
  return {
    ...(record.autoScaling ? { autoScaling: { ...record.autoScaling } } : {}),
    ...(record.loadBalancers
      ? {
          loadBalancers: {
            targets: record.loadBalancers.targets.map((t) => ({
              targetGroupArn: t.targetGroupArn,
              targetId: t.targetId,
              ...(t.networkInterfaceId !== undefined ? { networkInterfaceId: t.networkInterfaceId } : {}),
              port: t.port ?? null,
              availabilityZone: t.availabilityZone ?? null,
              managedByGroup: t.managedByGroup,
              // Sealed when present (row 3w): absent, the MAC of records written before is unchanged.
              ...(t.foundSinceCapture !== undefined ? { foundSinceCapture: t.foundSinceCapture } : {}),
            })),
            classic: record.loadBalancers.classic.map((c) => ({
              loadBalancerName: c.loadBalancerName,
              managedByGroup: c.managedByGroup,
              ...(c.foundSinceCapture !== undefined ? { foundSinceCapture: c.foundSinceCapture } : {}),
            })),
          },
        }
      : {}),
  };
}
