/**
 * AWS Security Hub, as the write-back responder calls it: per account and region, enabled or not
 * (a scenario's `environment.securityHub`), with the GuardDuty findings GuardDuty exported there
 * (seeded from the findings a game day injects, as GuardDuty sends every finding to the Security Hub
 * of the same account and region). BatchUpdateFindings answers as AWS does: InvalidAccessException
 * when the account is not subscribed; per finding, ProcessedFindings or UnprocessedFindings with
 * FindingNotFound / DuplicatedFindingIdentifier / InvalidInput (a note over 512 characters, an
 * author over 128, a workflow status Security Hub does not know); at most 100 identifiers.
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsUnprocessedFinding.html
 */
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';

/** One finding of a simulated Security Hub (the fields the write-back touches). */
export interface SecurityHubFindingRecord {
  readonly id: string;
  readonly productArn: string;
  readonly account: string;
  readonly region: string;
  workflowStatus: string;
  note?: { readonly text: string; readonly updatedBy: string; readonly updatedAt: string };
  /** How many BatchUpdateFindings changed it. */
  updates: number;
}

const WORKFLOW_STATUSES = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const NOTE_TEXT_MAX = 512;
const NOTE_AUTHOR_MAX = 128;
const IDENTIFIERS_MAX = 100;

/** The hub ARN IAM authorizes BatchUpdateFindings on. */
export function securityHubArn(account: string, region: string): string {
  return `arn:aws:securityhub:${region}:${account}:hub/default`;
}

/** The simulated Security Hubs: which accounts and regions are subscribed, and their findings. */
export class SecurityHubState {
  private readonly enabled = new Set<string>();
  readonly findings = new Map<string, SecurityHubFindingRecord>();

  enable(account: string, region: string): void {
    this.enabled.add(`${account}|${region}`);
  }

  isEnabled(account: string, region: string): boolean {
    return this.enabled.has(`${account}|${region}`);
  }

  /**
   * GuardDuty's export of one finding (the `detail` of a GuardDuty Finding event) to the Security
   * Hub of its account and region, when that hub is enabled; the finding's ARN is its Id there.
   */
  importGuardDutyFinding(detail: unknown): void {
    if (typeof detail !== 'object' || detail === null) return;
    const { arn, accountId, region } = detail as { arn?: unknown; accountId?: unknown; region?: unknown };
    if (typeof arn !== 'string' || typeof accountId !== 'string' || typeof region !== 'string') return;
    if (!this.isEnabled(accountId, region)) return;
    const productArn = `arn:aws:securityhub:${region}::product/aws/guardduty`;
    const key = `${accountId}|${region}|${productArn}|${arn}`;
    if (this.findings.has(key)) return;
    this.findings.set(key, { id: arn, productArn, account: accountId, region, workflowStatus: 'NEW', updates: 0 });
  }

  find(account: string, region: string, productArn: string, id: string): SecurityHubFindingRecord | undefined {
    return this.findings.get(`${account}|${region}|${productArn}|${id}`);
  }
}

interface Identifier {
  readonly Id?: string;
  readonly ProductArn?: string;
}

export function securityHubHandlers(state: SecurityHubState, now: () => number): Record<string, ApiHandler> {
  const subscribed = (call: SimCall) => {
    if (!state.isEnabled(call.account, call.region)) {
      throw new SimulatedServiceError('InvalidAccessException', `Account ${call.account} is not subscribed to AWS Security Hub`, 401);
    }
  };
  return {
    BatchUpdateFindings(call) {
      const input = inputOf<{ FindingIdentifiers?: Identifier[]; Workflow?: { Status?: string }; Note?: { Text?: string; UpdatedBy?: string } }>(call);
      subscribed(call);
      const identifiers = input.FindingIdentifiers ?? [];
      if (identifiers.length < 1 || identifiers.length > IDENTIFIERS_MAX) {
        throw new SimulatedServiceError('InvalidInputException', `FindingIdentifiers must hold 1 to ${IDENTIFIERS_MAX} findings`, 400);
      }
      if (input.Note !== undefined && (typeof input.Note.Text !== 'string' || typeof input.Note.UpdatedBy !== 'string')) {
        throw new SimulatedServiceError('InvalidInputException', 'Note requires Text and UpdatedBy', 400);
      }
      const processed: Identifier[] = [];
      const unprocessed: { FindingIdentifier: Identifier; ErrorCode: string; ErrorMessage: string }[] = [];
      const seen = new Set<string>();
      const invalid =
        (input.Workflow?.Status !== undefined && !WORKFLOW_STATUSES.has(input.Workflow.Status)) ||
        (input.Note !== undefined && (Array.from(input.Note.Text ?? '').length > NOTE_TEXT_MAX || Array.from(input.Note.UpdatedBy ?? '').length > NOTE_AUTHOR_MAX));
      for (const identifier of identifiers) {
        const key = `${identifier.ProductArn ?? ''}|${identifier.Id ?? ''}`;
        if (seen.has(key)) {
          unprocessed.push({ FindingIdentifier: identifier, ErrorCode: 'DuplicatedFindingIdentifier', ErrorMessage: 'Finding Identifier is duplicated' });
          continue;
        }
        seen.add(key);
        if (invalid) {
          unprocessed.push({ FindingIdentifier: identifier, ErrorCode: 'InvalidInput', ErrorMessage: 'Invalid Input' });
          continue;
        }
        // A member account sees its own findings only (an administrator would also see its members').
        const finding = state.find(call.account, call.region, identifier.ProductArn ?? '', identifier.Id ?? '');
        if (!finding) {
          unprocessed.push({ FindingIdentifier: identifier, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' });
          continue;
        }
        if (input.Workflow?.Status !== undefined) finding.workflowStatus = input.Workflow.Status;
        if (input.Note !== undefined) finding.note = { text: input.Note.Text ?? '', updatedBy: input.Note.UpdatedBy ?? '', updatedAt: new Date(now()).toISOString() };
        finding.updates += 1;
        processed.push({ Id: finding.id, ProductArn: finding.productArn });
      }
      return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
    },
  };
}
