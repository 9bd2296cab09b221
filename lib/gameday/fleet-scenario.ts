/**
 * The fleet part of a game-day scenario (issue 11): Auto Scaling groups, target groups and Classic
 * Load Balancers in `environment`, and what must hold of them in `expect.fleet`. Resources are
 * named by the scenario; instances by their scenario names.
 */
import { z } from 'zod';

const LOGICAL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const logical = (what: string) => z.string().regex(LOGICAL, `${what} must be a name of letters, digits, '.', '_' or '-'`);

export const targetGroupSchema = z.strictObject({
  port: z.number().int().min(1).max(65535).default(80),
  vpc: logical('vpc').optional().describe('The VPC (default: the only VPC of the environment).'),
  targetType: z
    .enum(['instance', 'ip'])
    .default('instance')
    .describe('ip: the instances are registered by the primary private address of their first ENI (with ipAddressType ipv6: its first IPv6 address).'),
  ipAddressType: z
    .enum(['ipv4', 'ipv6'])
    .optional()
    .describe('ipv6: the ip targets are IPv6 addresses (CreateTargetGroup IpAddressType; default ipv4). An ipv6 target group of instance targets takes only instances with a primary IPv6 address, which no scenario instance has: ELB refuses them.'),
  registerBy: z
    .enum(['address', 'delegated-prefix'])
    .optional()
    .describe(
      "delegated-prefix: ip targets at an address inside the first ENI's first delegated prefix of the target group's IP address type (enis[].ipv4Prefixes or ipv6Prefixes; as an EKS node's pods are registered), not at the ENI's own address.",
    ),
  targets: z.array(logical('instance')).default([]).describe('Instances registered (by scenario name), besides those an Auto Scaling group registers.'),
});

/**
 * The address a scenario registers inside a delegated prefix, as a pod holding it would be: the
 * prefix's fifth address (pure). IPv6 is written in full, zeros and all, unlike EC2's spelling.
 */
export function podAddress(prefix: string): string {
  const [network = ''] = prefix.split('/');
  if (!network.includes(':')) {
    const value = network.split('.').reduce((v, b) => v * 256 + Number(b), 0) + 5;
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
  }
  const [head = '', tail = ''] = network.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const all = [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return [...all.slice(0, 7), (parseInt(all[7] ?? '0', 16) + 5).toString(16)].join(':');
}

/** The first delegated prefix of a family among an ENI's (`ipv4` or `ipv6`). */
export function firstPrefix(prefixes: readonly string[] | undefined, family: 'ipv4' | 'ipv6'): string | undefined {
  return prefixes?.find((p) => p.includes(':') === (family === 'ipv6'));
}

/**
 * The target id a scenario registers an instance by in a target group (pure): its id (instance
 * targets), else its first ENI's private address, first IPv6 address (ipv6) or an address of its
 * first delegated prefix (registerBy: delegated-prefix); none when the ENI has no such address.
 */
export function scenarioTargetId(
  spec: Pick<z.output<typeof targetGroupSchema>, 'targetType' | 'ipAddressType' | 'registerBy'>,
  instance: { readonly instanceId: string; readonly networkInterfaces: readonly { readonly privateIp: string; readonly ipv6Addresses?: readonly string[]; readonly prefixes?: readonly string[] }[] },
): string | undefined {
  if (spec.targetType !== 'ip') return instance.instanceId;
  const primary = instance.networkInterfaces[0];
  const family = spec.ipAddressType ?? 'ipv4';
  if (spec.registerBy === 'delegated-prefix') {
    const prefix = firstPrefix(primary?.prefixes, family);
    return prefix && podAddress(prefix);
  }
  return (family === 'ipv6' ? primary?.ipv6Addresses?.[0] : primary?.privateIp) || undefined;
}

export const classicLoadBalancerSchema = z.strictObject({
  port: z.number().int().min(1).max(65535).default(80),
  vpc: logical('vpc').optional(),
  instances: z.array(logical('instance')).default([]).describe('Instances registered (by scenario name), besides those an Auto Scaling group registers.'),
});

export const autoScalingGroupSchema = z
  .strictObject({
    instances: z.array(logical('instance')).min(1).describe('Its members (by scenario name); the first is also what its launches look like.'),
    minSize: z.number().int().min(0).default(1),
    maxSize: z.number().int().min(1).default(4),
    desiredCapacity: z.number().int().min(0).optional().describe('Default: the number of members.'),
    healthCheckType: z.enum(['EC2', 'ELB']).default('ELB').describe('ELB: an instance its load balancers cannot reach is replaced (terminated).'),
    targetGroups: z.array(logical('target group')).default([]),
    loadBalancers: z.array(logical('classic load balancer')).default([]),
    lifecycleHooks: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          transition: z.enum(['launching', 'terminating']),
          heartbeatTimeout: z.number().int().min(30).max(7200).default(3600),
          defaultResult: z.enum(['ABANDON', 'CONTINUE']).default('ABANDON').describe('What the group does when the wait times out: ABANDON (AWS\'s default) terminates a launching instance, CONTINUE puts it in service.'),
        }),
      )
      .default([]),
    pendingWait: z
      .array(
        z.strictObject({
          instance: logical('instance'),
          elapsedSeconds: z.number().int().min(0).default(0).describe('How long it has waited when the scenario starts (its deadline is that much nearer).'),
        }),
      )
      .default([])
      .describe(
        'Members held in Pending:Wait by every launching hook of the group, as if it had just launched them (simulated account only: no AWS API puts an existing instance there). At a hook\'s timeout its defaultResult applies; RecordLifecycleActionHeartbeat extends the wait.',
      ),
    suspendedProcesses: z
      .array(z.enum(['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions']))
      .default([]),
  })
  .refine((g) => g.minSize <= g.maxSize, { message: 'minSize must not be above maxSize' })
  .refine((g) => g.pendingWait.length === 0 || g.lifecycleHooks.some((h) => h.transition === 'launching'), { message: 'pendingWait needs a launching lifecycle hook to hold the instances' })
  .refine((g) => g.pendingWait.every((p) => g.instances.includes(p.instance)), { message: 'pendingWait names only instances of the group' })
  .refine((g) => (g.desiredCapacity ?? g.instances.length) >= g.minSize && (g.desiredCapacity ?? g.instances.length) <= g.maxSize, {
    message: 'the desired capacity (default: the number of instances) must be between minSize and maxSize',
  });

export const fleetEnvironmentFields = {
  targetGroups: z.record(logical('target group'), targetGroupSchema).default({}).describe('ELB v2 target groups.'),
  classicLoadBalancers: z.record(logical('classic load balancer'), classicLoadBalancerSchema).default({}).describe('Classic Load Balancers.'),
  autoScalingGroups: z.record(logical('Auto Scaling group'), autoScalingGroupSchema).default({}).describe('Auto Scaling groups (created from their first instance).'),
};

const registrationExpectation = z.strictObject({
  registered: z.array(logical('instance')).optional().describe('Instances that must be registered (by scenario name).'),
  notRegistered: z.array(logical('instance')).optional().describe('Instances that must not be registered.'),
  count: z.number().int().min(0).optional().describe('How many targets are registered in all (replacements included).'),
});

export const fleetExpectationSchema = z
  .strictObject({
    autoScalingGroups: z
      .record(
        logical('Auto Scaling group'),
        z.strictObject({
          members: z.array(logical('instance')).optional().describe('Instances that must be in the group, in service or on standby.'),
          notMembers: z.array(logical('instance')).optional().describe('Instances that must not be in the group.'),
          standby: z.array(logical('instance')).optional().describe('Instances that must be on standby.'),
          pendingWait: z.array(logical('instance')).optional().describe('Instances that must still be in Pending:Wait (a launch hook holds them).'),
          inService: z.number().int().min(0).optional().describe('How many instances are InService (replacements included).'),
          desiredCapacity: z.number().int().min(0).optional(),
          protectedFromScaleIn: z.array(logical('instance')).optional(),
        }),
      )
      .optional(),
    targetGroups: z.record(logical('target group'), registrationExpectation).optional(),
    classicLoadBalancers: z.record(logical('classic load balancer'), registrationExpectation).optional(),
  })
  .describe('Auto Scaling groups, target groups and Classic Load Balancers after the run.');

export type FleetEnvironmentDocument = { readonly [K in keyof typeof fleetEnvironmentFields]: z.output<(typeof fleetEnvironmentFields)[K]> };
export type FleetExpectationDocument = z.output<typeof fleetExpectationSchema>;
