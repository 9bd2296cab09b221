/**
 * Multi-resource incidents, one instance at a time. An attack sequence (and any finding whose
 * affected resources name several instances) is contained by running a `trigger: per-instance`
 * playbook once per instance, each as its own Step Functions execution over a per-instance view of
 * the incident. Each such execution starts with the containment guard, so the rails hold per
 * instance: a protected instance gets evidence only, the blast radius counts every instance, an
 * instance of an account the deployment does not serve is refused. Pure; triage computes the
 * targets, the compiled `contain-each-instance` step (compile-per-instance.ts) starts them.
 *
 * Idempotency: the execution name of an instance's run is its child key AND the revision
 * (`executionNameFor`, as a credential's, per-credential.ts). GuardDuty updates a sequence under the
 * same finding id when it correlates new signals (a new revision, so a new run of the parent
 * playbook): each instance's execution runs again, so an isolation undone since by whoever may
 * change the instance's ENIs is redone (docs/security.md row 1zj; quarantine-instance keeps the first
 * revision's pre-quarantine record), one still isolated is left as it is (`already-quarantined`),
 * its evidence snapshots are reused (snapshot-volumes finds those of its child key), and the guard
 * counts it under its own hold within the window, or takes no slot while EC2 shows it isolated
 * (rows 15o, 15p). A duplicate delivery of one revision maps to the same name: Step Functions refuses
 * it (ExecutionAlreadyExists, for 90 days). An instance a person released and that a later revision
 * names again is contained again, as a plain finding's update contains its instance again.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
import { childIncidentKey, executionNameFor, placementHash } from '../incident/keys';
import { PER_INSTANCE_ACTION, unconfirmedIntakeRefusal } from './fan-out-names';
import { affectedResources } from '../incident/affected';
import { isPlaceholderInstanceId } from '../incident/identifiers';
import type { Ec2InstanceResource, Incident } from '../incident/model';

export { PER_INSTANCE_ACTION };

/** What the per-instance execution's incident replaces in the incident (a shallow merge: `States.JsonMerge`). */
export interface PerInstanceOverride {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  readonly resource: Ec2InstanceResource;
}

/** One instance to contain, with the name of its own execution and what its incident replaces. */
export interface ContainmentTarget {
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  /** Deterministic per (incident key, account, Region, instance, revision): each revision checks the instance again; a duplicate delivery maps to the same name. */
  readonly executionName: string;
  readonly incident: PerInstanceOverride;
}

/** An instance the incident names that gets no execution of its own, and why. */
export interface SkippedInstance {
  readonly value: string;
  readonly account?: string;
  readonly reason: string;
}

export interface ContainmentTargets {
  readonly targets: readonly ContainmentTarget[];
  readonly skipped: readonly SkippedInstance[];
}

export interface ContainmentTargetOptions {
  /** At most this many instances get an execution; the rest are skipped and alerted. */
  readonly maxInstances: number;
  /** Why an account may not be acted in (the deployment's served accounts), or undefined when it may. */
  readonly refuseAccount?: (account: string) => string | undefined;
}

/**
 * The key of the per-instance incident: `<incident key>-<instance id>` (55 characters for a GuardDuty
 * key, 63 for a game-day one, which keeps its `gameday-` prefix), with a short hash of the account and
 * Region when the instance is not in the incident's own. A key that would be longer than 64 keeps
 * its head, a hash of the whole, and the instance id.
 */
export function perInstanceKey(incidentKey: string, instanceId: string, placement: { readonly account: string; readonly region: string }, home: { readonly account: string; readonly region: string }): string {
  const foreign = placement.account !== home.account || placement.region !== home.region;
  const suffix = foreign ? `-${instanceId}-${placementHash(placement.account, placement.region)}` : `-${instanceId}`;
  return childIncidentKey(incidentKey, suffix);
}

/**
 * The instances of an incident to contain one by one: every `ec2-instance` among its affected
 * resources (first mention first, duplicates already merged by the parser), in its own account and
 * Region when the event says so. Unverified instance ids, placeholders, instances of accounts the
 * deployment does not serve and instances beyond the cap get no execution; each is listed with why.
 */
export function containmentTargets(incident: Incident, options: ContainmentTargetOptions): ContainmentTargets {
  const targets: ContainmentTarget[] = [];
  const skipped: SkippedInstance[] = [];
  const home = { account: incident.account, region: incident.region };
  const intakeRefusal = unconfirmedIntakeRefusal(incident);
  for (const resource of affectedResources(incident)) {
    if (resource.kind === 'unverified' && resource.claimedKind === 'ec2-instance') {
      skipped.push({ value: resource.value.untrusted, reason: `named at ${resource.from}, but it is not ${resource.expected}: no instance is acted on for it` });
      continue;
    }
    if (resource.kind !== 'ec2-instance') continue;
    const account = resource.account ?? incident.account;
    const region = resource.region ?? incident.region;
    const { instanceId } = resource;
    if (isPlaceholderInstanceId(instanceId) && !incident.sample) {
      skipped.push({ value: instanceId, account, reason: 'a placeholder id on a finding not marked as a sample' });
      continue;
    }
    const refused = intakeRefusal ?? options.refuseAccount?.(account);
    if (refused !== undefined) {
      skipped.push({ value: instanceId, account, reason: refused });
      continue;
    }
    if (targets.length >= options.maxInstances) {
      skipped.push({ value: instanceId, account, reason: `beyond this playbook's cap of ${options.maxInstances} instances per incident: a person must contain it` });
      continue;
    }
    const key = perInstanceKey(incident.key, instanceId, { account, region }, home);
    // The finding's own instance keeps the details the finding gave (its ENIs, tags as reported).
    const primary = incident.resource.kind === 'ec2-instance' && incident.resource.instanceId === instanceId && account === incident.account && region === incident.region ? incident.resource : undefined;
    targets.push({
      instanceId,
      account,
      region,
      executionName: executionNameFor({ key, revision: incident.revision }),
      incident: { key, account, region, resource: primary ?? { kind: 'ec2-instance', instanceId, networkInterfaces: [], tags: {} } },
    });
  }
  return { targets, skipped };
}

/**
 * At most this many instances without an execution get a sentence of their own in triage's reasons;
 * the rest are counted (row 1zi). Each sentence rides twice in triage's answer (its reasons and the
 * playbook's decision): 250 of them (a sequence naming 300 instances, 50 of them run) took 80 KB of
 * the answer's 192 KiB, and over it nothing was started. The alert names them from the incident.
 */
export const SKIPPED_LISTED_MAX = 20;

/**
 * Triage's sentences about the resources a fan-out starts no execution for (instances here,
 * credentials in per-credential.ts): one each up to SKIPPED_LISTED_MAX, then a count. `words.not`
 * opens each ("Not contained"), `words.noun` counts the rest ("instance(s)"), `words.must` is what a
 * person must then do ("contain them").
 */
export function describeSkipped(skipped: readonly SkippedInstance[], words: { readonly not: string; readonly noun: string; readonly must: string }): string[] {
  const listed = skipped.slice(0, SKIPPED_LISTED_MAX).map((skip) => `${words.not}: ${JSON.stringify(skip.value)}${skip.account !== undefined ? ` (account ${skip.account})` : ''}: ${skip.reason}.`);
  const more = skipped.length - SKIPPED_LISTED_MAX;
  if (more > 0) listed.push(`${words.not} either: ${more} more ${words.noun} the incident names, for reasons of the same kinds; the incident's affected resources list each: a person must ${words.must}.`);
  return listed;
}

/** Triage's sentences about the per-instance runs (what `firebreak simulate` shows). */
export function describeTargets(planned: ContainmentTargets, playbook: string): string[] {
  const reasons: string[] = [];
  const count = planned.targets.length;
  reasons.push(
    count === 0
      ? `The incident names no instance Firebreak may contain: playbook ${playbook} starts no per-instance execution, and alerts.`
      : `Playbook ${playbook} runs its per-instance playbook once per instance (${count}), each as its own execution that asks the containment guard for that instance alone (protection, blast radius and served accounts hold per instance).`,
  );
  for (const target of planned.targets) {
    reasons.push(
      `Instance ${target.instanceId} (account ${target.account}, ${target.region}): execution ${target.executionName}; named per revision, so GuardDuty's update checks it again (an undone isolation is redone).`,
    );
  }
  reasons.push(...describeSkipped(planned.skipped, { not: 'Not contained', noun: 'instance(s)', must: 'contain them' }));
  return reasons;
}
