/**
 * `--watch`: follows the playbook executions an injection caused until they end, streaming their
 * timeline. The loop is plain: list each playbook state machine's recent executions, keep the ones
 * this injection caused, re-read the history of those still running, print the rows not printed
 * yet, then sleep with backoff. Clock, sleep and cancellation are injected, so tests drive it with
 * a fake clock and no real waiting, and Ctrl-C ends it between two polls.
 *
 * Which executions are ours:
 * - a template injection: the one whose name is the deterministic execution name of its incident
 *   (lib/incident/keys.ts), in whichever playbook triage picked;
 * - GuardDuty samples: their ids are GuardDuty's, unknown in advance, so the ones started after the
 *   request whose input incident is a sample of a requested type.
 */
import type { ExecutionListItem, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { isTransientAwsError } from '../../aws/errors';
import { listExecutionsSince, readExecutionHistory } from '../../operator/aws';
import { WatchFailedError } from '../../operator/errors';
import type { ExecutionReport, LiveTimelineRow } from '../../operator/history';
import { executionReport } from '../../operator/history';
import type { DeployedPlaybook } from '../../operator/stack';

export type WatchTarget =
  | { readonly kind: 'execution'; readonly executionName: string }
  | { readonly kind: 'samples'; readonly findingTypes: readonly string[] };

export interface WatchOptions {
  readonly target: WatchTarget;
  readonly playbooks: readonly DeployedPlaybook[];
  readonly injectedAt: Date;
  readonly timeoutMs: number;
  readonly now: () => Date;
  /** Waits `ms`; resolves early (or rejects) when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
  /** New timeline rows, in time order, as they are read. */
  readonly onRows?: (rows: readonly LiveTimelineRow[]) => void;
  /** An execution was found (once each). */
  readonly onFound?: (execution: { readonly name: string; readonly playbook: string; readonly executionArn: string }) => void;
  /** Something worth saying that does not end the watch (a poll lost to throttling). */
  readonly onNotice?: (text: string) => void;
  /** An execution ended (once each). */
  readonly onEnded?: (report: ExecutionReport) => void;
}

export interface WatchResult {
  /** ended: every awaited execution ended; timed-out: --timeout passed first; interrupted: Ctrl-C. */
  readonly outcome: 'ended' | 'timed-out' | 'interrupted';
  readonly executions: readonly ExecutionReport[];
  /** Sample types with no ended execution yet (samples only). */
  readonly awaitedTypes: readonly string[];
}

/** First wait between polls, growth per poll and ceiling: quick while containment runs, gentle when it waits for people. */
export const POLL_BACKOFF = { initialMs: 2_000, factor: 1.5, maxMs: 15_000 } as const;

/**
 * How far before the injection to look, for this machine's clock running ahead of AWS's: a name
 * match is exact, so the margin is wide; a sample match is by time, so it is narrower.
 */
export const CLOCK_SKEW_MS = { execution: 5 * 60_000, samples: 60_000 } as const;

interface Tracked {
  readonly item: ExecutionListItem & { executionArn: string; name: string };
  readonly playbook: string;
  printed: number;
  report?: ExecutionReport;
  ended: boolean;
}

function isOurs(target: WatchTarget, report: ExecutionReport): boolean {
  if (target.kind === 'execution') return report.name === target.executionName;
  return report.incident?.sample === true && report.incident.findingType !== undefined && target.findingTypes.includes(report.incident.findingType);
}

/** Follows the executions of one injection until they end, the timeout passes or the signal aborts. */
export async function watchExecutions(sfn: SFNClient, options: WatchOptions): Promise<WatchResult> {
  const { target, playbooks, injectedAt, timeoutMs, now, sleep, signal } = options;
  const startedAt = now().getTime();
  const since = new Date(injectedAt.getTime() - (target.kind === 'execution' ? CLOCK_SKEW_MS.execution : CLOCK_SKEW_MS.samples));
  const tracked = new Map<string, Tracked>();
  const notOurs = new Set<string>();
  const histories = new Map<string, HistoryEvent[]>();
  let delay: number = POLL_BACKOFF.initialMs;

  const result = (outcome: WatchResult['outcome']): WatchResult => {
    const executions = [...tracked.values()].flatMap((entry) => (entry.report ? [entry.report] : []));
    const endedTypes = new Set(executions.filter((report) => report.status !== 'RUNNING').map((report) => report.incident?.findingType));
    const awaitedTypes = target.kind === 'samples' ? target.findingTypes.filter((type) => !endedTypes.has(type)) : [];
    return { outcome, executions, awaitedTypes };
  };

  for (;;) {
    if (signal?.aborted) return result('interrupted');

    try {
      // A name match is unique (one execution per name), so once found there is nothing more to list.
      const listing = target.kind === 'samples' || tracked.size === 0 ? playbooks : [];
      for (const playbook of listing) {
        const listed = await listExecutionsSince(sfn, playbook.stateMachineArn, since);
        for (const item of listed) {
          if (!item.executionArn || !item.name || tracked.has(item.executionArn) || notOurs.has(item.executionArn)) continue;
          if (target.kind === 'execution' && item.name !== target.executionName) continue;
          tracked.set(item.executionArn, { item: { ...item, executionArn: item.executionArn, name: item.name }, playbook: playbook.name, printed: 0, ended: false });
        }
      }
      histories.clear();
      for (const [arn, entry] of tracked) if (!entry.ended) histories.set(arn, await readExecutionHistory(sfn, arn));
    } catch (error) {
      // Throttling that outlasted the SDK's own retries costs one poll, not the watch.
      if (!(error instanceof WatchFailedError && isTransientAwsError(error.cause))) throw error;
      options.onNotice?.(`${error.message}; trying again at the next poll`);
      histories.clear();
    }

    const fresh: LiveTimelineRow[] = [];
    const endedNow: ExecutionReport[] = [];
    for (const [arn, entry] of tracked) {
      const events = histories.get(arn);
      if (entry.ended || events === undefined) continue;
      const report = executionReport({ executionArn: arn, name: entry.item.name, playbook: entry.playbook }, events, injectedAt);
      if (!entry.report) {
        if (!isOurs(target, report)) {
          tracked.delete(arn);
          notOurs.add(arn);
          continue;
        }
        options.onFound?.({ name: report.name, playbook: report.playbook, executionArn: arn });
      }
      entry.report = report;
      fresh.push(...report.rows.slice(entry.printed));
      entry.printed = report.rows.length;
      if (report.status !== 'RUNNING') {
        entry.ended = true;
        endedNow.push(report);
      }
    }
    if (fresh.length > 0) options.onRows?.([...fresh].sort((a, b) => a.atMs - b.atMs));
    for (const report of endedNow) options.onEnded?.(report);

    const reports = [...tracked.values()];
    const allEnded = reports.length > 0 && reports.every((entry) => entry.ended);
    if (allEnded && (target.kind === 'execution' || result('ended').awaitedTypes.length === 0)) return result('ended');

    const remaining = startedAt + timeoutMs - now().getTime();
    if (remaining <= 0) return result('timed-out');
    try {
      await sleep(Math.min(delay, remaining), signal);
    } catch (error) {
      if (signal?.aborted) return result('interrupted');
      throw error;
    }
    delay = Math.min(delay * POLL_BACKOFF.factor, POLL_BACKOFF.maxMs);
  }
}
