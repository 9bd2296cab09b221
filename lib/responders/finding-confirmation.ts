/**
 * The oversized-event intake's check of a GuardDuty finding event at its source: GuardDuty's own
 * copy of the finding, read with GetFindings from the detector of the account Firebreak runs in
 * (the organization's GuardDuty delegated administrator, which holds every member account's
 * findings of its region: docs/organization.md), in the event's region. The comparison is pure
 * (lib/incident/finding-confirmation.ts); this is the adapter and the rule that the check never
 * stops a dispatch: whatever goes wrong, the event is dispatched unconfirmed and a person decides.
 */
import { GetFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import type { GuardDutyClients } from '../aws/clients/guardduty';
import { FirebreakError } from '../contracts/errors';
import type { FindingLookup, HeldConfirmation } from '../incident/finding-confirmation';
import { confirmAsHeld, findingLookupOf } from '../incident/finding-confirmation';

/** The region has no GuardDuty detector in this account (or, which GuardDuty never allows, several). */
export class GuardDutyDetectorError extends FirebreakError {
  override readonly name = 'GuardDutyDetectorError';
}

/** Where GuardDuty's own copy of a finding comes from. */
export interface FindingSource {
  /** The finding as GetFindings returns it (PascalCase, plain JSON), or undefined when GuardDuty has none with that id there. */
  finding(lookup: FindingLookup): Promise<unknown>;
}

/**
 * GetFindings on the detector ListDetectors names in the finding's region. The detector id is kept
 * per region for the life of the container (one detector per account and region, and it does not
 * change while GuardDuty stays enabled); a failed lookup is not kept, so the next event asks again.
 * The SDK's standard retries (3 attempts) cover throttling; what still fails is thrown.
 */
export class GuardDutyFindingSource implements FindingSource {
  private readonly detectors = new Map<string, Promise<string>>();

  constructor(private readonly clients: GuardDutyClients) {}

  async finding({ findingId, region }: FindingLookup): Promise<unknown> {
    const detectorId = await this.detectorIn(region);
    const answer = await this.clients.guardduty(region).send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [findingId] }));
    const found = (answer.Findings ?? []).find((finding) => finding.Id === findingId);
    // JSON, as the parser reads it: the SDK turns some timestamps into Date objects.
    return found === undefined ? undefined : (JSON.parse(JSON.stringify(found)) as unknown);
  }

  private detectorIn(region: string): Promise<string> {
    let detector = this.detectors.get(region);
    if (detector === undefined) {
      detector = this.listDetector(region);
      this.detectors.set(region, detector);
      void detector.catch(() => this.detectors.delete(region));
    }
    return detector;
  }

  private async listDetector(region: string): Promise<string> {
    const { DetectorIds = [] } = await this.clients.guardduty(region).send(new ListDetectorsCommand({}));
    const [only] = DetectorIds;
    if (DetectorIds.length !== 1 || only === undefined) {
      throw new GuardDutyDetectorError(`ListDetectors in ${region} answered ${DetectorIds.length} detectors; GuardDuty has exactly one per account and region where it is enabled`);
    }
    return only;
  }
}

/**
 * Whether `event` is a GuardDuty finding GuardDuty itself holds alike; never throws: a refused or
 * failing call, a missing finding, any difference, or an event of another kind is "not confirmed",
 * with the reason, and the intake dispatches it unconfirmed (a person approves its containment).
 * A confirmed event comes back with GuardDuty's update counters, the ones the intake dispatches (row 1zk).
 */
export async function confirmAtSource(event: Readonly<Record<string, unknown>>, source: FindingSource, receivedAt: Date = new Date()): Promise<HeldConfirmation> {
  const lookup = findingLookupOf(event);
  if ('reason' in lookup) return { confirmed: false, reason: lookup.reason };
  let copy: unknown;
  try {
    copy = await source.finding(lookup);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300);
    return { confirmed: false, reason: `GuardDuty could not be asked for finding ${lookup.findingId} in ${lookup.region}: ${name}: ${message}` };
  }
  return confirmAsHeld(event, copy, receivedAt);
}
