/**
 * The request and the answer of a function people call through its Function URL (the approval and
 * emergency-pause functions): payload format 2.0, a JSON body.
 */
import * as z from '../contracts/zod-mini';

/**
 * The Function URL event, as far as these functions read it. `requestContext.authorizer.iam` is
 * what AWS authenticated from the SigV4 signature when the URL was called, and what a direct
 * invocation writes itself: a claim the caller proof must confirm (caller-proof.ts `provenCaller`).
 */
export const functionUrlEventSchema = z.looseObject({
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  // Lower-case names, as the Function URL passes them: the caller proof.
  headers: z.optional(z.record(z.string(), z.string())),
  requestContext: z.looseObject({
    http: z.optional(z.looseObject({ method: z.string() })),
    authorizer: z.optional(
      z.looseObject({
        // The caller (an IAM ARN is at most 2,048 characters), the access key that signed, the principal's unique id.
        iam: z.optional(z.looseObject({ userArn: z.string().check(z.minLength(1), z.maxLength(2048)), accessKey: z.optional(z.string()), userId: z.optional(z.string()) })),
      }),
    ),
  }),
});

/** The request body as the caller sent it: a base64-encoded one decoded (the caller proof binds the decoded text). */
export function requestText(event: z.output<typeof functionUrlEventSchema>): string {
  return event.isBase64Encoded === true ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
}

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
