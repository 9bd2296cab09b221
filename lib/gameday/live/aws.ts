/**
 * Thin AWS adapters of the live game day: the target instance as GuardDuty would describe it, the
 * game-day event on the deployment's bus, GuardDuty's detector and sample findings. Each takes an
 * injected SDK v3 client and turns AWS's answer into plain data, or into an error that says what is
 * missing (exit 2) or what AWS refused (exit 1).
 */
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { CreateSampleFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { describeInstance, tagRecord } from '../../aws/describe-instance';
import { awsErrorCode, isAccessDeniedAwsError } from '../../aws/errors';
import { GAMEDAY_SOURCE } from '../../incident/schemas';
import type { Where } from '../../operator/aws';
import { callError, credentialsProblem, setupError } from '../../operator/aws';
import { InjectionRejectedError, LiveSetupError } from '../../operator/errors';
import type { DescribedInstance, GameDayEntry } from './injection';

const rejectedError = (message: string, options: { cause: unknown }) => new InjectionRejectedError(message, options);

function describedFrom(instance: Instance): DescribedInstance {
  const tags = tagRecord(instance.Tags);
  const interfaces = [...(instance.NetworkInterfaces ?? [])].sort(
    (a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0),
  );
  return {
    ...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
    ...(instance.Placement?.AvailabilityZone ? { availabilityZone: instance.Placement.AvailabilityZone } : {}),
    ...(instance.ImageId ? { imageId: instance.ImageId } : {}),
    ...(instance.State?.Name ? { state: instance.State.Name } : {}),
    ...(instance.LaunchTime ? { launchTime: new Date(instance.LaunchTime).toISOString() } : {}),
    ...(instance.IamInstanceProfile?.Arn
      ? { instanceProfile: { arn: instance.IamInstanceProfile.Arn, ...(instance.IamInstanceProfile.Id ? { id: instance.IamInstanceProfile.Id } : {}) } }
      : {}),
    networkInterfaces: interfaces.flatMap((eni) =>
      eni.NetworkInterfaceId
        ? [
            {
              networkInterfaceId: eni.NetworkInterfaceId,
              ...(eni.PrivateIpAddress ? { privateIpAddress: eni.PrivateIpAddress } : {}),
              ...(eni.PrivateDnsName ? { privateDnsName: eni.PrivateDnsName } : {}),
              ...(eni.Association?.PublicIp ? { publicIp: eni.Association.PublicIp } : {}),
              ...(eni.Association?.PublicDnsName ? { publicDnsName: eni.Association.PublicDnsName } : {}),
              ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
              ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
              securityGroups: (eni.Groups ?? []).flatMap((group) =>
                group.GroupId ? [{ groupId: group.GroupId, ...(group.GroupName ? { groupName: group.GroupName } : {}) }] : [],
              ),
            },
          ]
        : [],
    ),
    tags,
  };
}

/** ec2:DescribeInstances on the target (`--describe`): its ENIs, VPC, groups, profile and tags, as GuardDuty would report them. */
export async function describeTargetInstance(ec2: EC2Client, instanceId: string, where: Where): Promise<DescribedInstance> {
  const lookup = await describeInstance(ec2, instanceId, {
    notFound: 'not-found-or-malformed',
    account: where.account,
    onError: (error) => callError(error, 'ec2:DescribeInstances', setupError),
  });
  if (lookup.found) return describedFrom(lookup.instance);
  throw new LiveSetupError(`--describe: instance ${instanceId} not found in ${where.region}/${where.account} (check --instance and --region)`);
}

/** What EventBridge said of one game-day entry: its event id, or why it refused the entry. */
export type PutEntryOutcome =
  | { readonly ok: true; readonly eventId: string }
  | {
      readonly ok: false;
      /** EventBridge's ErrorCode of the entry (or of the call), `UnknownError` when it gave none. */
      readonly errorCode: string;
      readonly errorMessage?: string;
      /** The whole refusal in words, with what to do about it. */
      readonly message: string;
    };

/**
 * events:PutEvents of one game-day entry; resolves to the entry's outcome. PutEvents reports refused
 * entries in the answer without throwing (FailedEntryCount, and ErrorCode / ErrorMessage per entry:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), so both are
 * checked; a call AWS refuses as a whole throws InjectionRejectedError (or LiveSetupError for
 * missing credentials).
 */
export async function putGameDayEntry(eventBridge: EventBridgeClient, entry: GameDayEntry): Promise<PutEntryOutcome> {
  let answer;
  try {
    answer = await eventBridge.send(new PutEventsCommand({ Entries: [{ ...entry, Resources: [...entry.Resources] }] }));
  } catch (error) {
    // The game-day bus denies every principal but the deployment's gameDayPrincipals, whatever IAM allows.
    if (isAccessDeniedAwsError(error) && !credentialsProblem(error)) {
      throw new InjectionRejectedError(
        `not allowed to call events:PutEvents on bus ${entry.EventBusName} (${awsErrorCode(error) ?? 'AccessDenied'}): the game-day bus admits only the deployment's gameDayPrincipals, so your principal must be one of them (and hold events:PutEvents on the bus); nothing was injected`,
        { cause: error },
      );
    }
    throw callError(error, 'events:PutEvents', rejectedError);
  }
  const result = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0 || result?.ErrorCode || !result?.EventId) {
    const code = result?.ErrorCode ?? 'UnknownError';
    const hint =
      code === 'NotAuthorizedForSourceException'
        ? ` (EventBridge refuses custom events whose source starts with "aws."; game-day events use ${GAMEDAY_SOURCE})`
        : code === 'AccessDeniedException'
          ? ` (the game-day bus ${entry.EventBusName} admits only the deployment's gameDayPrincipals: your principal must be one of them and hold events:PutEvents on the bus)`
          : '';
    return {
      ok: false,
      errorCode: code,
      ...(result?.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}),
      message: `EventBridge refused the game-day event on bus ${entry.EventBusName}: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ''}${hint}; nothing was injected (FailedEntryCount ${answer.FailedEntryCount ?? 0})`,
    };
  }
  return { ok: true, eventId: result.EventId };
}

/** events:PutEvents of one game-day entry; resolves to its event id, or throws InjectionRejectedError for a refused entry. */
export async function putGameDayEvent(eventBridge: EventBridgeClient, entry: GameDayEntry): Promise<string> {
  const outcome = await putGameDayEntry(eventBridge, entry);
  if (!outcome.ok) throw new InjectionRejectedError(outcome.message);
  return outcome.eventId;
}

/** guardduty:ListDetectors: the region's detector, or a LiveSetupError saying GuardDuty is not enabled. */
export async function findDetector(guardDuty: GuardDutyClient, where: Where): Promise<string> {
  let ids: string[];
  try {
    ids = (await guardDuty.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  } catch (error) {
    throw callError(error, 'guardduty:ListDetectors', setupError);
  }
  // One detector per account and region (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListDetectors.html).
  const [detectorId] = ids;
  if (detectorId === undefined) {
    throw new LiveSetupError(
      `GuardDuty is not enabled in ${where.region}/${where.account} (ListDetectors returned no detector): enable it (\`aws guardduty create-detector --enable --region ${where.region}\`) or inject a template finding instead of --guardduty-samples`,
    );
  }
  return detectorId;
}

/** guardduty:CreateSampleFindings of the given types on the detector. */
export async function createSampleFindings(guardDuty: GuardDutyClient, detectorId: string, findingTypes: readonly string[]): Promise<void> {
  try {
    await guardDuty.send(new CreateSampleFindingsCommand({ DetectorId: detectorId, FindingTypes: [...findingTypes] }));
  } catch (error) {
    throw callError(error, 'guardduty:CreateSampleFindings', rejectedError);
  }
}
