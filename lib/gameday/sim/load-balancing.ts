/**
 * Elastic Load Balancing, simulated: ELB v2 target groups (DescribeTargetGroups,
 * DescribeTargetHealth, RegisterTargets, DeregisterTargets, CreateTargetGroup, DeleteTargetGroup)
 * and Classic Load Balancers (DescribeLoadBalancers, RegisterInstancesWithLoadBalancer,
 * DeregisterInstancesFromLoadBalancer, CreateLoadBalancer, DeleteLoadBalancer). Both APIs share
 * the IAM prefix `elasticloadbalancing` and some action names, so the classic handlers are kept
 * apart (CLASSIC_HANDLER_PREFIX) and picked by the client that calls. A target's health is whether
 * the load balancer can reach it (fleet-state.ts `reachable`): an isolated instance is unhealthy.
 */
import type {
  CreateLoadBalancerCommandInput,
  DeleteLoadBalancerCommandInput,
  DeregisterInstancesFromLoadBalancerCommandInput,
  DescribeLoadBalancersCommandInput,
  RegisterInstancesWithLoadBalancerCommandInput,
} from '@aws-sdk/client-elastic-load-balancing';
import type {
  CreateTargetGroupCommandInput,
  DeleteTargetGroupCommandInput,
  DeregisterTargetsCommandInput,
  DescribeTargetGroupsCommandInput,
  DescribeTargetHealthCommandInput,
  RegisterTargetsCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { ClassicLoadBalancerRecord, TargetGroupRecord } from './fleet-state';
import { fleetState, placeKey, reachable } from './fleet-state';
import type { SimWorld } from './world';
import type { NetworkInterfaceRecord, SubnetRecord } from './model';

/** Handler keys of the Classic Load Balancer API (its IAM actions are still `elasticloadbalancing:*`). */
export const CLASSIC_HANDLER_PREFIX = 'elasticloadbalancing-classic';

function requireTargetGroup(world: SimWorld, call: SimCall, arn: string | undefined): TargetGroupRecord {
  const tg = arn === undefined ? undefined : fleetState(world).targetGroups.get(arn);
  if (!tg || tg.account !== call.account || tg.region !== call.region) {
    throw new SimulatedServiceError('TargetGroupNotFound', `Target groups '${arn ?? ''}' not found`, 400);
  }
  return tg;
}

function requireClassic(world: SimWorld, call: SimCall, name: string | undefined): ClassicLoadBalancerRecord {
  const lb = name === undefined ? undefined : fleetState(world).classic.get(placeKey(call.account, call.region, name));
  if (!lb) throw new SimulatedServiceError('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name ?? ''}'`, 400);
  return lb;
}

/**
 * Whether an ENI holds the address an ip target names: its primary private IPv4 address, one of
 * its IPv6 addresses, or one inside a prefix delegated to it, in any spelling (ELB takes
 * `2001:db8::1` and `2001:0DB8:0:0:0:0:0:1` alike; node:net compares them here, not the responders'
 * own canonical form).
 */
function holds(eni: NetworkInterfaceRecord, id: string): boolean {
  if (eni.privateIp === id) return true;
  const family = isIPv4(id) ? 'ipv4' : isIPv6(id) ? 'ipv6' : undefined;
  if (family === undefined) return false;
  // An address inside a prefix delegated to it (row 3u), only of the target's own family.
  const list = new BlockList();
  for (const prefix of (family === 'ipv4' ? eni.ipv4Prefixes : eni.ipv6Prefixes) ?? []) {
    const [network = '', bits = ''] = prefix.split('/');
    list.addSubnet(network, Number(bits), family);
  }
  if (family === 'ipv6') for (const address of eni.ipv6Addresses ?? []) list.addAddress(address, 'ipv6');
  return list.check(id, family);
}

/** The ENI of the target group's VPC that holds an ip target's address. */
function holderOf(world: SimWorld, vpcId: string, id: string): NetworkInterfaceRecord | undefined {
  return [...world.networkInterfaces.values()].find((eni) => eni.vpcId === vpcId && holds(eni, id));
}

/**
 * The subnet of the VPC whose IPv4 or IPv6 block holds an ip target's address: ELB tells a target in
 * the VPC (its zone the subnet's) from one outside it (zone `all`) by the VPC's subnets.
 */
function subnetHolding(world: SimWorld, vpcId: string, id: string): SubnetRecord | undefined {
  const family = isIPv6(id) ? 'ipv6' : isIPv4(id) ? 'ipv4' : undefined;
  if (family === undefined) return undefined;
  return [...world.subnets.values()].find((subnet) => {
    if (subnet.vpcId !== vpcId) return false;
    const [network = '', bits = ''] = (family === 'ipv6' ? subnet.ipv6Cidr : subnet.cidr)?.split('/') ?? [];
    if (network === '') return false;
    const block = new BlockList();
    block.addSubnet(network, Number(bits), family);
    return block.check(id, family);
  });
}

/** The instance an ip target stands for (the ENI holding its address), or the instance itself. */
function instanceOfTarget(world: SimWorld, tg: TargetGroupRecord, id: string) {
  if (tg.targetType === 'instance') return world.instances.get(id);
  const eni = holderOf(world, tg.vpcId, id);
  return eni?.attachment ? world.instances.get(eni.attachment.instanceId) : undefined;
}

export function targetGroupHandlers(world: SimWorld): Record<string, ApiHandler> {
  const state = fleetState(world);
  return {
    DescribeTargetGroups(call) {
      const input = inputOf<DescribeTargetGroupsCommandInput>(call);
      const arns = input.TargetGroupArns && input.TargetGroupArns.length > 0 ? new Set(input.TargetGroupArns) : undefined;
      const all = [...state.targetGroups.values()].filter((tg) => tg.account === call.account && tg.region === call.region && (!arns || arns.has(tg.arn)));
      const size = Math.min(input.PageSize ?? 400, 400);
      const start = input.Marker ? Number(input.Marker) : 0;
      const page = all.slice(start, start + size);
      return {
        TargetGroups: page.map((tg) => ({
          TargetGroupArn: tg.arn,
          TargetGroupName: tg.name,
          Protocol: tg.protocol,
          Port: tg.port,
          VpcId: tg.vpcId,
          TargetType: tg.targetType,
          IpAddressType: tg.ipAddressType,
          LoadBalancerArns: [],
        })),
        ...(start + size < all.length ? { NextMarker: String(start + size) } : {}),
      };
    },

    /** https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html */
    DescribeTargetHealth(call) {
      const input = inputOf<DescribeTargetHealthCommandInput>(call);
      const tg = requireTargetGroup(world, call, input.TargetGroupArn);
      const targets = input.Targets && input.Targets.length > 0 ? tg.targets.filter((t) => input.Targets?.some((w) => w.Id === t.id)) : tg.targets;
      return {
        TargetHealthDescriptions: targets.map((t) => {
          const healthy = reachable(world, instanceOfTarget(world, tg, t.id));
          return {
            Target: { Id: t.id, Port: t.port, ...(t.availabilityZone !== undefined ? { AvailabilityZone: t.availabilityZone } : {}) },
            HealthCheckPort: String(t.port),
            TargetHealth: healthy ? { State: 'healthy' } : { State: 'unhealthy', Reason: 'Target.Timeout', Description: 'Request timed out' },
          };
        }),
      };
    },

    /** https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html (idempotent) */
    RegisterTargets(call) {
      const input = inputOf<RegisterTargetsCommandInput>(call);
      const tg = requireTargetGroup(world, call, input.TargetGroupArn);
      for (const target of input.Targets ?? []) {
        const id = target.Id ?? '';
        // "All IP addresses within a target group must have the same IP address type."
        if (tg.targetType === 'ip' && !(tg.ipAddressType === 'ipv6' ? isIPv6(id) : isIPv4(id))) {
          throw new SimulatedServiceError('ValidationError', `The IP address type of target '${id}' does not match the target group's IP address type '${tg.ipAddressType}'`, 400);
        }
        // "The IP address … is within the VPC, and cannot have its Availability Zone overridden to 'all'"
        // (kubernetes-sigs/aws-load-balancer-controller#561): zone all is only for an address outside it.
        const inVpc = tg.targetType === 'ip' && target.AvailabilityZone === 'all' ? subnetHolding(world, tg.vpcId, id) : undefined;
        if (inVpc) {
          throw new SimulatedServiceError('ValidationError', `The IP address '${id}' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${inVpc.availabilityZone}'`, 400);
        }
        const known = tg.targetType === 'ip' ? holderOf(world, tg.vpcId, id) !== undefined || target.AvailabilityZone === 'all' : world.instances.get(id)?.vpcId === tg.vpcId;
        if (!known) throw new SimulatedServiceError('InvalidTarget', `The following targets are not in the target group's VPC '${tg.vpcId}': '${id}'`, 400);
        // An IPv6 target group reaches an instance target at its primary IPv6 address, and ELB refuses an
        // instance without one (kubernetes-sigs/aws-load-balancer-controller#3692). The simulated EC2
        // gives no ENI a primary IPv6 address (EnablePrimaryIpv6 is not modelled), so none is taken here.
        if (tg.targetType === 'instance' && tg.ipAddressType === 'ipv6') {
          throw new SimulatedServiceError('InvalidTarget', `The following targets cannot be used with this IPv6 target group because of missing primary IPv6 addresses: '${id}'`, 400);
        }
        const port = target.Port ?? tg.port;
        tg.targets = tg.targets.filter((t) => !(t.id === id && t.port === port));
        tg.targets.push({ id, port, ...(target.AvailabilityZone !== undefined ? { availabilityZone: target.AvailabilityZone } : {}) });
      }
      return {};
    },

    DeregisterTargets(call) {
      const input = inputOf<DeregisterTargetsCommandInput>(call);
      const tg = requireTargetGroup(world, call, input.TargetGroupArn);
      for (const target of input.Targets ?? []) {
        const port = target.Port ?? tg.port;
        tg.targets = tg.targets.filter((t) => !(t.id === target.Id && t.port === port));
      }
      return {};
    },

    CreateTargetGroup(call) {
      const input = inputOf<CreateTargetGroupCommandInput>(call);
      const name = input.Name ?? '';
      const arn = `arn:aws:elasticloadbalancing:${call.region}:${call.account}:targetgroup/${name}/${world.ids.hex(16)}`;
      const record: TargetGroupRecord = {
        account: call.account,
        region: call.region,
        name,
        arn,
        vpcId: input.VpcId ?? '',
        port: input.Port ?? 80,
        protocol: input.Protocol ?? 'HTTP',
        targetType: input.TargetType === 'ip' ? 'ip' : 'instance',
        ipAddressType: input.IpAddressType === 'ipv6' ? 'ipv6' : 'ipv4',
        targets: [],
        tags: new Map((input.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      };
      state.targetGroups.set(arn, record);
      return { TargetGroups: [{ TargetGroupArn: arn, TargetGroupName: name, Port: record.port, Protocol: record.protocol, VpcId: record.vpcId, TargetType: record.targetType, IpAddressType: record.ipAddressType }] };
    },

    DeleteTargetGroup(call) {
      const input = inputOf<DeleteTargetGroupCommandInput>(call);
      state.targetGroups.delete(requireTargetGroup(world, call, input.TargetGroupArn).arn);
      return {};
    },
  };
}

export function classicLoadBalancerHandlers(world: SimWorld): Record<string, ApiHandler> {
  const state = fleetState(world);
  return {
    DescribeLoadBalancers(call) {
      const input = inputOf<DescribeLoadBalancersCommandInput>(call);
      const names = input.LoadBalancerNames && input.LoadBalancerNames.length > 0 ? new Set(input.LoadBalancerNames) : undefined;
      const all = [...state.classic.values()].filter((lb) => lb.account === call.account && lb.region === call.region && (!names || names.has(lb.name)));
      // As ELB does: a name that is no load balancer fails the whole call.
      const missing = names ? [...names].find((name) => !all.some((lb) => lb.name === name)) : undefined;
      if (missing !== undefined) throw new SimulatedServiceError('AccessPointNotFoundException', `There is no ACTIVE Load Balancer named '${missing}'`, 400);
      const size = Math.min(input.PageSize ?? 400, 400);
      const start = input.Marker ? Number(input.Marker) : 0;
      return {
        LoadBalancerDescriptions: all.slice(start, start + size).map((lb) => ({
          LoadBalancerName: lb.name,
          VPCId: lb.vpcId,
          CreatedTime: new Date(lb.createdTime),
          Instances: lb.instances.map((InstanceId) => ({ InstanceId })),
          ListenerDescriptions: [{ Listener: { Protocol: 'HTTP', LoadBalancerPort: lb.port, InstanceProtocol: 'HTTP', InstancePort: lb.port } }],
        })),
        ...(start + size < all.length ? { NextMarker: String(start + size) } : {}),
      };
    },

    RegisterInstancesWithLoadBalancer(call) {
      const input = inputOf<RegisterInstancesWithLoadBalancerCommandInput>(call);
      const lb = requireClassic(world, call, input.LoadBalancerName);
      for (const { InstanceId } of input.Instances ?? []) {
        if (!InstanceId || world.instances.get(InstanceId)?.vpcId !== lb.vpcId) throw new SimulatedServiceError('InvalidInstance', `EC2 instance ${InstanceId ?? ''} is not in the load balancer's VPC.`, 400);
        if (!lb.instances.includes(InstanceId)) lb.instances.push(InstanceId);
      }
      return { Instances: lb.instances.map((InstanceId) => ({ InstanceId })) };
    },

    DeregisterInstancesFromLoadBalancer(call) {
      const input = inputOf<DeregisterInstancesFromLoadBalancerCommandInput>(call);
      const lb = requireClassic(world, call, input.LoadBalancerName);
      const gone = new Set((input.Instances ?? []).map((i) => i.InstanceId));
      lb.instances = lb.instances.filter((id) => !gone.has(id));
      return { Instances: lb.instances.map((InstanceId) => ({ InstanceId })) };
    },

    CreateLoadBalancer(call) {
      const input = inputOf<CreateLoadBalancerCommandInput>(call);
      const name = input.LoadBalancerName ?? '';
      const subnet = input.Subnets?.[0] ? world.subnets.get(input.Subnets[0]) : undefined;
      state.classic.set(placeKey(call.account, call.region, name), {
        account: call.account,
        region: call.region,
        name,
        vpcId: subnet?.vpcId ?? '',
        port: input.Listeners?.[0]?.InstancePort ?? 80,
        createdTime: world.now(),
        instances: [],
      });
      return { DNSName: `${name}-${world.ids.hex(8)}.${call.region}.elb.amazonaws.com` };
    },

    DeleteLoadBalancer(call) {
      const input = inputOf<DeleteLoadBalancerCommandInput>(call);
      state.classic.delete(placeKey(call.account, call.region, input.LoadBalancerName ?? ''));
      return {};
    },
  };
}
