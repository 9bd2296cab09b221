/**
 * `expect.fleet` (issue 11): who is in each Auto Scaling group, target group and Classic Load
 * Balancer after the run, by the scenario's instance names. Pure, as the other expectations.
 */
import type { AccountInspection, ResolvedEnvironment } from './backend';
import type { FleetExpectationDocument } from './fleet-scenario';
import { podAddress } from './fleet-scenario';

/** expectations.ts's ExpectationResult (not imported: that module imports this one). */
interface FleetExpectationResult {
  readonly name: string;
  readonly passed: boolean;
  readonly expected: string;
  readonly actual: string;
}

function result(name: string, passed: boolean, expected: unknown, actual: unknown): FleetExpectationResult {
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  return { name, passed, expected: show(expected), actual: show(actual) };
}

export function evaluateFleet(
  expected: FleetExpectationDocument,
  facts: { readonly environment: ResolvedEnvironment; readonly after: AccountInspection },
): FleetExpectationResult[] {
  const results: FleetExpectationResult[] = [];
  const idOf = (name: string) => facts.environment.instances[name]?.instanceId ?? name;
  const nameOf = (id: string) => Object.values(facts.environment.instances).find((i) => i.instanceId === id)?.name ?? id;
  // The addresses an ip target group may register the instance by (its first ENI's private and IPv6
  // addresses, and the one a scenario registers inside each of its delegated prefixes).
  const ipsOf = (name: string) => {
    const primary = facts.environment.instances[name]?.networkInterfaces[0];
    return primary ? [primary.privateIp, ...(primary.ipv6Addresses ?? []), ...(primary.prefixes ?? []).map(podAddress)] : [];
  };
  const inspected = facts.after.fleet;
  for (const [group, want] of Object.entries(expected.autoScalingGroups ?? {})) {
    const actual = inspected?.autoScalingGroups[group];
    const members = Object.keys(actual?.members ?? {});
    const shown = members.map(nameOf);
    for (const name of want.members ?? []) results.push(result(`Auto Scaling group ${group} has ${name}`, members.includes(idOf(name)), 'a member', actual ? shown : '(no such group)'));
    for (const name of want.notMembers ?? []) results.push(result(`Auto Scaling group ${group} does not have ${name}`, !members.includes(idOf(name)), 'not a member', shown));
    for (const name of want.standby ?? []) {
      const state = actual?.members[idOf(name)]?.state;
      results.push(result(`Auto Scaling group ${group}: ${name} on standby`, state === 'Standby', 'Standby', state ?? '(not a member)'));
    }
    for (const name of want.pendingWait ?? []) {
      const state = actual?.members[idOf(name)]?.state;
      results.push(result(`Auto Scaling group ${group}: ${name} in Pending:Wait`, state === 'Pending:Wait', 'Pending:Wait', state ?? '(not a member)'));
    }
    for (const name of want.protectedFromScaleIn ?? []) {
      const member = actual?.members[idOf(name)];
      results.push(result(`Auto Scaling group ${group}: ${name} protected from scale-in`, member?.protectedFromScaleIn === true, true, member?.protectedFromScaleIn ?? '(not a member)'));
    }
    if (want.inService !== undefined) {
      const count = Object.values(actual?.members ?? {}).filter((m) => m.state === 'InService').length;
      results.push(result(`Auto Scaling group ${group} InService instances`, count === want.inService, want.inService, count));
    }
    if (want.desiredCapacity !== undefined) {
      results.push(result(`Auto Scaling group ${group} desired capacity`, actual?.desiredCapacity === want.desiredCapacity, want.desiredCapacity, actual?.desiredCapacity ?? '(no such group)'));
    }
  }
  const registrations = (kind: string, table: Readonly<Record<string, readonly string[]>> | undefined, wanted: FleetExpectationDocument['targetGroups']) => {
    for (const [lb, want] of Object.entries(wanted ?? {})) {
      const ids = table?.[lb] ?? [];
      const shown = ids.map(nameOf);
      const has = (name: string) => ids.includes(idOf(name)) || ipsOf(name).some((ip) => ids.includes(ip));
      for (const name of want.registered ?? []) results.push(result(`${kind} ${lb} has ${name} registered`, has(name), 'registered', shown));
      for (const name of want.notRegistered ?? []) results.push(result(`${kind} ${lb} does not have ${name} registered`, !has(name), 'not registered', shown));
      if (want.count !== undefined) results.push(result(`${kind} ${lb} targets`, ids.length === want.count, want.count, ids.length));
    }
  };
  registrations('target group', inspected?.targetGroups, expected.targetGroups);
  registrations('Classic Load Balancer', inspected?.classicLoadBalancers, expected.classicLoadBalancers);
  return results;
}
