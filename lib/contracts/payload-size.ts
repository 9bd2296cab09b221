/**
 * Step Functions' payload limit, written once: a state's input or output, a task's input or result,
 * and an execution's input may each be at most 256 KiB of JSON text in UTF-8
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Over it, the state
 * fails with `States.DataLimitExceeded`, a terminal error that a Catch on `States.ALL` does not catch
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): every fallback
 * the definitions have (keep the event, alert) is skipped. So each payload Firebreak builds stays
 * under it by construction, and the local engine enforces it as the service does.
 */

/** 256 KiB: the most bytes of UTF-8 JSON a Step Functions payload may hold. */
export const STATES_PAYLOAD_LIMIT_BYTES = 262_144;

/**
 * The most bytes an EventBridge event, an SQS message or an asynchronous Lambda invocation may carry
 * since 29 January 2026: 1 MB, four times Step Functions' limit, which did not move
 * (https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb).
 * An event between the two reaches the rules, and the dispatcher's StartExecution refuses it.
 */
export const EVENTBRIDGE_EVENT_LIMIT_BYTES = 1_048_576;

/**
 * The largest event the dispatcher target handles alone: 1 KiB under Step Functions' limit. The
 * dispatcher's `Triage` task input is the event, its receive time and the function's ARN (about 200
 * bytes more than the event, lib/playbooks/dispatcher.ts), so an event above this may fail there
 * with States.DataLimitExceeded, or be refused by StartExecution; the oversized-event intake
 * (lib/responders/oversized-event.ts) dispatches a clipped copy of every event above it.
 */
export const OVERSIZED_EVENT_THRESHOLD_BYTES = STATES_PAYLOAD_LIMIT_BYTES - 1024;

/**
 * What the intake clips an oversized event to: 192 KiB, well under the limit, so that the clipped
 * copy's Triage input and triage's answer (the incident, bounded by the parser) fit beside it.
 */
export const CLIPPED_EVENT_TARGET_BYTES = 192 * 1024;

/** The error Step Functions fails a state with when a payload is over the limit. */
export const DATA_LIMIT_EXCEEDED_ERROR = 'States.DataLimitExceeded';

/** Bytes of a value as Step Functions counts them: its JSON text, in UTF-8. */
export function payloadBytes(value: unknown): number {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/**
 * An upper bound on `payloadBytes(value)` for JSON data, taken without writing the JSON text: each
 * string at most 6 bytes per UTF-16 unit (a `\u` escape) plus its quotes, each number, boolean or
 * null at most 25 characters, each key as a string plus its colon and comma. Never below the truth,
 * so a payload under the limit by this bound is under it, and only one over it needs the exact count:
 * the local engine measures every state's payload (where stringifying each one cost a fifth of a
 * finding storm's CPU), and triage its answer, its kept copy of the event and the incident, per event.
 */
export function payloadBytesAtMost(value: unknown): number {
  if (typeof value === 'string') return 6 * value.length + 2;
  if (value === null || typeof value !== 'object') return 25;
  // A value JSON writes through its toJSON (a Date) is measured as JSON writes it.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return payloadBytes(value);
  let bytes = 2;
  if (Array.isArray(value)) {
    for (const item of value) bytes += payloadBytesAtMost(item) + 1;
  } else {
    for (const key in value) bytes += 6 * key.length + 4 + payloadBytesAtMost((value as Record<string, unknown>)[key]);
  }
  return bytes;
}

/**
 * The exact size of `value` (as `payloadBytes` counts it) when it is over `limit` bytes, else
 * undefined: the cheap bound settles nearly every payload, and only one it puts over the limit is
 * counted exactly.
 */
export function payloadBytesOver(value: unknown, limit: number): number | undefined {
  if (payloadBytesAtMost(value) <= limit) return undefined;
  const bytes = payloadBytes(value);
  return bytes <= limit ? undefined : bytes;
}
