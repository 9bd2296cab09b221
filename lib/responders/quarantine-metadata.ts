/**
 * The instance metadata service during quarantine. Security groups do not filter link-local
 * traffic, so an isolated instance still reaches 169.254.169.254: its user data (often holding
 * secrets), its identity document and, until the profile is gone, its role's credentials
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html#nacl-considerations).
 * The `instanceMetadata` option of quarantine-instance turns the endpoint off (`disable`), or
 * requires session tokens with a PUT response hop limit of 1 (`require-tokens`: no SSRF through a
 * web application, no container or forwarded hop reaching it), through
 * ec2:ModifyInstanceMetadataOptions (DryRun in dry-run,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataOptions.html).
 * The settings before are recorded and release-instance restores them exactly.
 */
import { ModifyInstanceMetadataOptionsCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ResponderMode } from '../contracts/responder-mode';
import type { InstanceMetadataSettings, ObservedInstance } from './instance-state';
import type { PendingAction } from './pending-actions';
import { mutateEc2 } from './pending-actions';

/** What the option asks of the metadata service during quarantine. */
export type InstanceMetadataChoice = 'keep' | 'disable' | 'require-tokens';

const API = 'ec2:ModifyInstanceMetadataOptions';

/** The settings the choice wants, given the settings now (pure): only the fields it changes. */
export function wantedMetadataSettings(choice: InstanceMetadataChoice, now: InstanceMetadataSettings): InstanceMetadataSettings {
  switch (choice) {
    case 'keep':
      return now;
    case 'disable':
      return { ...now, httpEndpoint: 'disabled' };
    case 'require-tokens':
      // Never turns on an endpoint that was off: tokens and hops matter only when it answers.
      return { ...now, httpTokens: 'required', httpPutResponseHopLimit: 1 };
  }
}

/** True when the settings are the same (pure). */
export function sameMetadataSettings(a: InstanceMetadataSettings, b: InstanceMetadataSettings): boolean {
  return a.httpEndpoint === b.httpEndpoint && a.httpTokens === b.httpTokens && a.httpPutResponseHopLimit === b.httpPutResponseHopLimit;
}

/** True when the instance's metadata service is already as the choice wants it (or the choice is `keep`). */
export function metadataDone(instance: ObservedInstance, choice: InstanceMetadataChoice): boolean {
  if (choice === 'keep' || instance.metadataOptions === undefined) return true;
  return sameMetadataSettings(instance.metadataOptions, wantedMetadataSettings(choice, instance.metadataOptions));
}

/** The ModifyInstanceMetadataOptions input that sets `settings` (all three fields, so the result is exact). */
export function metadataOptionsInput(instanceId: string, settings: InstanceMetadataSettings, dryRun: boolean) {
  return {
    InstanceId: instanceId,
    HttpEndpoint: settings.httpEndpoint,
    HttpTokens: settings.httpTokens,
    HttpPutResponseHopLimit: settings.httpPutResponseHopLimit,
    ...(dryRun ? { DryRun: true } : {}),
  };
}

/** Describes settings for people: `endpoint enabled, tokens optional, hop limit 2`. */
export function describeMetadataSettings(settings: InstanceMetadataSettings): string {
  return `endpoint ${settings.httpEndpoint}, tokens ${settings.httpTokens}, hop limit ${settings.httpPutResponseHopLimit}`;
}

/** Applies the option to the instance's metadata service, or says why nothing changed. */
export async function restrictMetadata(
  ec2: EC2Client,
  mode: ResponderMode,
  instance: ObservedInstance,
  choice: InstanceMetadataChoice,
): Promise<PendingAction[]> {
  const id = instance.instanceId;
  if (choice === 'keep') return [];
  const now = instance.metadataOptions;
  if (now === undefined) {
    return [{ api: API, target: id, outcome: 'skipped', detail: `EC2 did not report the instance's metadata options, so they are not changed (nothing to restore them to)` }];
  }
  const wanted = wantedMetadataSettings(choice, now);
  if (sameMetadataSettings(now, wanted)) {
    return [{ api: API, target: id, outcome: 'already-done', detail: `The metadata service is already ${describeMetadataSettings(now)}` }];
  }
  const what =
    choice === 'disable'
      ? `turn the instance metadata endpoint off (was ${describeMetadataSettings(now)}); release restores it`
      : `require metadata session tokens with hop limit 1 (was ${describeMetadataSettings(now)}); release restores it`;
  const sent = await mutateEc2(mode, API, id, what, (dryRun) =>
    ec2.send(new ModifyInstanceMetadataOptionsCommand(metadataOptionsInput(id, wanted, dryRun))),
  );
  return [sent.action];
}
