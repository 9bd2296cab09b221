/** Answers of the containment guard, as its Lambda returns them, for compiled-playbook tests. */
import type { GuardResult, GuardStatus } from '../../lib/responders/containment-guard-model';
import { ec2Incident } from '../support/incidents';

/** A guard result with `status` and `reasons` (the blast radius as evaluated in enforce mode). */
export function guardResult(status: GuardStatus, reasons: readonly string[], overrides: Partial<GuardResult> = {}): GuardResult {
  const incident = ec2Incident();
  return {
    responder: 'containment-guard',
    incidentKey: incident.key,
    mode: 'enforce',
    status,
    idempotentReplay: false,
    actions: [
      { api: 'firebreak:containment-guard', target: 'i-0abc1234def567890', outcome: 'observed', detail: `${status}: ${reasons.join(' ')}`, at: '2026-11-20T10:00:01.000Z' },
    ],
    reasons,
    protected: false,
    instanceId: 'i-0abc1234def567890',
    blastRadius: { evaluated: true, granted: status === 'proceed', slotTaken: status === 'proceed', used: 1, limit: 5, windowSeconds: 3600 },
    execution: { verified: true, playbook: 'compromised-ec2-instance', kind: 'contain' },
    gameDay: false,
    ...overrides,
  };
}
