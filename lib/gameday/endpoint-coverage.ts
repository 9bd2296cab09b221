/**
 * Which calls an AWS-compatible endpoint does not implement (issue 11: game days run with
 * `--endpoint-url` "say clearly which calls it does not"). Emulators answer an API they lack in
 * their own words, not with an AWS error code:
 *
 * - LocalStack: HTTP 501, code `InternalFailure`, "API action 'X' for service 'y' not yet
 *   implemented or pro feature" (https://docs.localstack.cloud/references/coverage/);
 * - moto (server mode): "The x action has not been implemented" (its `NotImplementedError`);
 * - any endpoint: HTTP 501 Not Implemented (RFC 9110 §15.6.2).
 *
 * A call so answered is marked in the call log (`unimplemented`) and listed by the report, so a
 * failed expectation downstream is read as a gap of the endpoint, not of Firebreak.
 */

const NOT_IMPLEMENTED_CODES = new Set(['NotImplemented', 'NotImplementedError', 'NotImplementedException']);
const NOT_IMPLEMENTED_TEXT = /not (?:yet )?(?:been )?implemented|pro feature|not (?:yet )?(?:been )?emulated/i;

/** True when the endpoint's answer says it does not implement the call (pure). */
export function notImplementedByEndpoint(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, $metadata } = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if ($metadata?.httpStatusCode === 501) return true;
  if (typeof name === 'string' && NOT_IMPLEMENTED_CODES.has(name)) return true;
  return typeof message === 'string' && NOT_IMPLEMENTED_TEXT.test(message);
}

/** The APIs the endpoint did not implement, each with the number of attempts so answered, in first-seen order (pure). */
export function unimplementedCalls(calls: readonly { readonly api: string; readonly unimplemented?: boolean }[]): { readonly api: string; readonly attempts: number }[] {
  const seen = new Map<string, number>();
  for (const call of calls) if (call.unimplemented === true) seen.set(call.api, (seen.get(call.api) ?? 0) + 1);
  return [...seen].map(([api, attempts]) => ({ api, attempts }));
}
