/**
 * The answer of a function people call through its Function URL (the approval and emergency-pause
 * functions): payload format 2.0, a JSON body.
 */

/** The Function URL response (payload format 2.0). */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The Lambda handler of `answer`: its `statusCode` as the HTTP status, the rest of its answer as the JSON body. */
export function jsonFunctionUrlHandler<T extends { readonly statusCode: number }>(answer: (event: unknown) => Promise<T>): (event: unknown) => Promise<FunctionUrlResult> {
  return async (event) => {
    const { statusCode, ...body } = await answer(event);
    return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };
}
