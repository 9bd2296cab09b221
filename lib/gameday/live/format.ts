/**
 * Text for the live game day: timeline rows in fixed columns (printed as they arrive, so the
 * widths cannot be measured first), execution endings and the time to containment.
 * The local game day's timeline (lib/gameday/timeline.ts) has the same columns; it exports no
 * formatter, hence this small one.
 * Every value comes from the execution history: step results quote what the drill named, its
 * target (an S3 key its uploader chose, a tag) and AWS's error texts. Each is printed through
 * `terminalLine`, so that a line feed in it cannot print a row, a time to containment or an ending
 * of its own under the real ones (docs/security.md rows 14a, 1zb).
 */
import type { ContainmentMeasure, ExecutionReport, LiveTimelineRow } from '../../operator/history';
import { terminalLine } from '../../responders/untrusted-text';

/** `+4.2s`, `+1m05.0s`, `-0.3s` (negative when this machine's clock is ahead of AWS's). */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const tenths = Math.round(Math.abs(ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths % 600) / 10;
  if (minutes === 0) return `${sign}${seconds.toFixed(1)}s`;
  return `${sign}${minutes}m${seconds.toFixed(1).padStart(4, '0')}s`;
}

/** Human duration for sentences: `4.2 s`, `1 min 05.0 s`. */
export function formatDuration(ms: number): string {
  const offset = formatOffset(ms).slice(1);
  const match = /^(\d+)m(.+)s$/.exec(offset);
  return match ? `${match[1]} min ${match[2]} s` : `${offset.slice(0, -1)} s`;
}

const WIDTHS = { at: 9, execution: 28, state: 30, action: 36, resource: 24 } as const;

function cell(text: string, width: number): string {
  const value = terminalLine(text);
  return value.length > width - 1 ? `${value.slice(0, width - 2)}… ` : value.padEnd(width);
}

/** The header line of the timeline. */
export function timelineHeader(): string {
  return [
    cell('time', WIDTHS.at),
    cell('execution', WIDTHS.execution),
    cell('state', WIDTHS.state),
    cell('action', WIDTHS.action),
    cell('resource', WIDTHS.resource),
    'result',
  ].join('').trimEnd();
}

/** One timeline row (with its detail on a second, indented line when there is one). */
export function formatTimelineRow(row: LiveTimelineRow): string {
  const line = [
    cell(formatOffset(row.atMs), WIDTHS.at),
    cell(row.execution, WIDTHS.execution),
    cell(row.state, WIDTHS.state),
    cell(row.action, WIDTHS.action),
    cell(row.resource, WIDTHS.resource),
    terminalLine(row.result),
  ].join('').trimEnd();
  return row.detail ? `${line}\n${' '.repeat(WIDTHS.at)}  ${terminalLine(row.detail)}` : line;
}

/** The sentence about containment of one execution. */
export function formatContainment(containment: ContainmentMeasure | undefined, report: Pick<ExecutionReport, 'playbook' | 'mode'>): string {
  return terminalLine(containmentSentence(containment, report));
}

function containmentSentence(containment: ContainmentMeasure | undefined, report: Pick<ExecutionReport, 'playbook' | 'mode'>): string {
  if (!containment) return `${report.playbook}: no containment step ran (the playbook has none, or it ended before it).`;
  const on = containment.instanceId ? ` ${containment.instanceId}` : '';
  if (containment.contained) {
    return `Time to containment: ${formatDuration(containment.atMs)} (injection → ${containment.state} ${containment.status}${on}).`;
  }
  if (containment.status === 'dry-run') {
    return `Dry-run: ${containment.state} would have contained${on} ${formatDuration(containment.atMs)} after the injection; nothing was changed.`;
  }
  return `Not contained: ${containment.state} answered ${containment.status}${on} ${formatDuration(containment.atMs)} after the injection.`;
}

/** The line that closes one execution's part of the timeline. */
export function formatEnding(report: ExecutionReport): string {
  const took = report.endedAtMs !== undefined ? ` ${formatDuration(report.endedAtMs)} after the injection` : '';
  const why = report.error ? `: ${report.error}${report.cause ? ` (${report.cause.slice(0, 200)})` : ''}` : '';
  return terminalLine(`${report.playbook} ${report.name} ended ${report.status}${took}${report.mode ? `, mode ${report.mode}` : ''}${why}`);
}
