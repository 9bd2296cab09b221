/**
 * Amazon GuardDuty, as the oversized-event intake calls it: one detector per account and region, and
 * the findings GuardDuty holds. A finding a scenario delivers through the default bus (as GuardDuty
 * itself emits it: source aws.guardduty) is recorded first, in its own account's detector and in
 * the delegated administrator's (the security account Firebreak runs in), which sees every member's
 * findings of the region, as in AWS (docs/organization.md). A finding only invoked at the intake,
 * or put on the game-day bus, is unknown to GuardDuty.
 *
 * ListDetectors answers the caller's detector in the client's region (GuardDuty has at most one per
 * account and region); GetFindings answers the findings of that detector it holds, in the
 * PascalCase shape of the API, and silently leaves out ids it does not hold, as AWS does; a
 * detector id that is not the caller's is BadRequestException ("The request is rejected because
 * the input detectorId is not owned by the current account.").
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_GetFindings.html
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListDetectors.html
 */
import { createHash } from 'node:crypto';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import { SimulatedServiceError } from './errors';

/** At most this many finding ids per GetFindings call. */
const FINDING_IDS_MAX = 50;

/** GuardDuty's detectors and the findings each holds. */
export class GuardDutyState {
  private readonly detectors = new Map<string, string>();
  /** `<account>|<region>` → finding id → the finding, PascalCase as GetFindings returns it. */
  private readonly findings = new Map<string, Map<string, Record<string, unknown>>>();
  private administrator: string | undefined;

  /** The account whose detectors also hold every other account's findings (the delegated administrator). */
  setAdministrator(account: string): void {
    this.administrator = account;
  }

  /** The detector of an account in a region (32 hex, stable for the account and region), made on first use. */
  detectorOf(account: string, region: string): string {
    const key = `${account}|${region}`;
    let detector = this.detectors.get(key);
    if (detector === undefined) {
      detector = createHash('sha256').update(`detector|${key}`).digest('hex').slice(0, 32);
      this.detectors.set(key, detector);
    }
    return detector;
  }

  /**
   * GuardDuty records a finding (the `detail` of a GuardDuty Finding event): in its account's
   * detector and the administrator's, in its region. A later update (same id) replaces it.
   */
  record(detail: unknown): void {
    if (typeof detail !== 'object' || detail === null) return;
    const { id, accountId, region } = detail as { id?: unknown; accountId?: unknown; region?: unknown };
    if (typeof id !== 'string' || typeof accountId !== 'string' || typeof region !== 'string') return;
    const copy = getFindingsShape(detail);
    for (const account of new Set([accountId, ...(this.administrator !== undefined ? [this.administrator] : [])])) {
      this.detectorOf(account, region);
      const key = `${account}|${region}`;
      const held = this.findings.get(key) ?? new Map<string, Record<string, unknown>>();
      held.set(id, copy);
      this.findings.set(key, held);
    }
  }

  /** The findings a detector holds with these ids, in the order asked. */
  findingsOf(account: string, region: string, ids: readonly string[]): Record<string, unknown>[] {
    const held = this.findings.get(`${account}|${region}`);
    return ids.flatMap((id) => {
      const finding = held?.get(id);
      return finding === undefined ? [] : [structuredClone(finding)];
    });
  }
}

/** A finding event's camelCase detail as GetFindings returns it: every key PascalCase (as the API, and the AWS CLI, print it). */
function getFindingsShape(detail: object): Record<string, unknown> {
  const pascal = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(pascal);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.charAt(0).toUpperCase() + key.slice(1), pascal(item)]));
  };
  return pascal(structuredClone(detail)) as Record<string, unknown>;
}

export function guardDutyHandlers(state: GuardDutyState): Record<string, ApiHandler> {
  return {
    ListDetectors(call) {
      return { DetectorIds: [state.detectorOf(call.account, call.region)] };
    },
    GetFindings(call) {
      const input = inputOf<{ DetectorId?: string; FindingIds?: string[] }>(call);
      if (input.DetectorId !== state.detectorOf(call.account, call.region)) {
        throw new SimulatedServiceError('BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.', 400);
      }
      const ids = input.FindingIds ?? [];
      if (ids.length > FINDING_IDS_MAX) throw new SimulatedServiceError('BadRequestException', `The request is rejected because FindingIds holds more than ${FINDING_IDS_MAX} ids.`, 400);
      return { Findings: state.findingsOf(call.account, call.region, ids) };
    },
  };
}
