/**
 * Severity bands. GuardDuty publishes its scale as numeric bands (Low 1.0–3.9, Medium 4.0–6.9,
 * High 7.0–8.9, Critical 9.0–10.0; https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html),
 * and scores such as 8.5 or 3.95 fall between the listed values: match by comparison, never by lookup.
 */
import type { AlarmState, Severity, SeverityLabel } from './model';

/** The label of a 0–10 score: Informational below 1.0, then GuardDuty's bands. */
export function severityLabel(score: number): SeverityLabel {
  if (Number.isNaN(score)) throw new RangeError('severityLabel: the score is NaN');
  if (score < 1) return 'Informational';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}

/** A score with its label. */
export function severityOf(score: number): Severity {
  return { score, label: severityLabel(score) };
}

/** Score given to an alarm in ALARM (Medium): the middle of the scale, so playbooks can still rank it. */
export const ALARM_SEVERITY_SCORE = 5;

/**
 * CloudWatch alarms carry no severity of their own, so Firebreak assigns one: an alarm entering
 * ALARM is Medium (5.0); OK and INSUFFICIENT_DATA are Informational (0) since nothing is wrong,
 * or nothing is known, yet. Playbooks that want more match on the alarm name instead.
 */
export function alarmSeverity(state: AlarmState): Severity {
  return severityOf(state === 'ALARM' ? ALARM_SEVERITY_SCORE : 0);
}
