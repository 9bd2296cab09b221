/**
 * The parser's error vocabulary: one class, `EventParseError`, that names every field path that
 * made an event unacceptable. Triage turns it into a final (non-retried) failure: a malformed
 * event will not become well-formed by retrying it.
 */
import { FirebreakError } from '../contracts/errors';

/** One reason an event was refused: where, what was expected there, and what was found. */
export interface EventParseIssue {
  /** Path of the field as the caller wrote it, e.g. `detail.severity` or `Findings[1].Resource.ResourceType`. */
  readonly path: string;
  /** What the parser needed at that path, e.g. `a number from 0 to 10`. */
  readonly expected: string;
  /** A short, truncated description of what was there (`nothing` when the field was missing). */
  readonly received?: string;
}

/** Issues spelled out in the message; the rest are still on `issues`. */
const MESSAGE_ISSUE_LIMIT = 5;

/** The event is not one Firebreak accepts; `issues` lists every field path at fault. */
export class EventParseError extends FirebreakError {
  override readonly name = 'EventParseError';
  readonly issues: readonly EventParseIssue[];

  constructor(issues: readonly EventParseIssue[], options?: { cause?: unknown }) {
    super(formatIssues(issues), options);
    this.issues = issues;
  }
}

/** `path: expected X, received Y; …` — the one-line form used as the error message. */
export function formatIssues(issues: readonly EventParseIssue[]): string {
  if (issues.length === 0) return 'the event is not one Firebreak accepts';
  const shown = issues.slice(0, MESSAGE_ISSUE_LIMIT).map(formatIssue);
  const hidden = issues.length - shown.length;
  return hidden > 0 ? `${shown.join('; ')}; and ${hidden} more` : shown.join('; ');
}

function formatIssue(issue: EventParseIssue): string {
  const received = issue.received === undefined ? '' : `, received ${issue.received}`;
  return `${issue.path}: expected ${issue.expected}${received}`;
}

const RECEIVED_TEXT_LIMIT = 40;

/** Describes a value for an error message without ever echoing more than a few characters of it. */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > RECEIVED_TEXT_LIMIT ? `${value.slice(0, RECEIVED_TEXT_LIMIT)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
