/**
 * Who really calls a function people reach through its Function URL (the approval function): a
 * caller proof, checked by STS (no AWS SDK; `fetch`).
 *
 * Why: AWS fills in `requestContext.authorizer.iam` from the SigV4 signature only when the function
 * is called through its URL. Anyone allowed plain `lambda:InvokeFunction` on the function (an
 * administrator's `lambda:*`, a developer role's `lambda:Invoke*` on `*`) can invoke it directly
 * with an event they wrote, `requestContext` included, naming any approver they like. The function
 * cannot tell that event from one AWS built, so the approver list and the refusal of the
 * incident's own principals would be decided on the invoker's word.
 *
 * So the caller also sends a proof that only their own credentials can make: a presigned
 * `sts:GetCallerIdentity` request (SigV4 in the query string, good for at most 15 minutes), in the
 * header `x-firebreak-caller-proof`, whose signature covers the header `x-firebreak-proof-binding`:
 * the hash of what this one request asks (the function's purpose and the exact body). The function
 * rebuilds the request to its own Region's STS endpoint from the proof's parameters alone (the
 * caller never chooses where it goes), sends it with the binding it computed itself from the body it
 * received, and takes the caller from STS's answer. A proof made for another body, another Region,
 * or by other credentials than the ones it claims does not verify; STS needs no permission to
 * answer GetCallerIdentity, so any principal can make one, and only its own. The same scheme
 * authenticates callers of Amazon EKS (aws-iam-authenticator's `x-k8s-aws-id`) and HashiCorp
 * Vault's AWS IAM auth method.
 *
 * A proof can be replayed for the same body within its lifetime: for the approval function that
 * repeats the same answer by the same approver, which it takes once only; the emergency pause spends
 * each proof of a pause or resume once (its signature recorded before it acts: pause-control.ts,
 * docs/security.md row 5k), so a request sent again whole changes nothing.
 */
import { createHash } from 'node:crypto';

/** The Function URL request header carrying the proof: the presigned request's query string. */
export const CALLER_PROOF_HEADER = 'x-firebreak-caller-proof';
/** The header the proof's signature covers, whose value binds it to one request (`proofBinding`). */
export const PROOF_BINDING_HEADER = 'x-firebreak-proof-binding';
/** What a proof is for: it never serves another function's request. */
export type ProofPurpose = 'approval' | 'pause';
/** The longest lifetime a proof may ask for (what SigV4 presigning allows STS requests is more; a proof is made right before the request). */
export const PROOF_MAX_EXPIRES_SECONDS = 900;
/**
 * How far ahead of the function's clock a proof may be dated: the five minutes AWS allows a
 * SigV4-signed request's clock (the Function URL's own signature), so the proof is never the narrower check.
 */
export const PROOF_CLOCK_AHEAD_SECONDS = 300;
/** The query parameters of the proof that are not SigV4's own. */
export const PROOF_ACTION = { Action: 'GetCallerIdentity', Version: '2011-06-15' } as const;

/** The value of the binding header for `purpose` and the request body exactly as sent (hex SHA-256). */
export function proofBinding(purpose: ProofPurpose, body: string): string {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  return createHash('sha256').update(`firebreak-caller-proof-v1\n${purpose}\n${bodyHash}`, 'utf8').digest('hex');
}

/** The DNS suffix of the partitions whose Regions are not under amazonaws.com, by Region prefix (the SDK's partitions.json). */
const PARTITION_DOMAINS: readonly (readonly [string, string])[] = [
  ['cn-', 'amazonaws.com.cn'],
  ['eusc-', 'amazonaws.eu'],
  ['us-isob-', 'sc2s.sgov.gov'],
  ['us-isof-', 'csp.hci.ic.gov'],
  ['us-iso-', 'c2s.ic.gov'],
  ['eu-isoe-', 'cloud.adc-e.uk'],
];

/** STS's endpoint in `region`, in its partition's domain: a wrong host would refuse every approver (502). */
export function stsHost(region: string): string {
  return `sts.${region}.${PARTITION_DOMAINS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com'}`;
}

/** An X-Amz-Date (`20261206T090000Z`) as a Date; an invalid one gives an invalid Date (NaN time). */
export function amzDate(text: string): Date {
  return new Date(`${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 11)}:${text.slice(11, 13)}:${text.slice(13)}`);
}

/** A proof whose form was checked: the access key that signed it, and the query to send. */
export interface ParsedProof {
  readonly accessKeyId: string;
  /** The query string to send to STS, rebuilt from the checked parameters only. */
  readonly query: string;
  /** X-Amz-Date: when the caller's clock said the proof was made. */
  readonly signedAt: Date;
  /** X-Amz-Date + X-Amz-Expires, which STS does not hold a presigned GetCallerIdentity to (`proofLifetimeRefusal` does). */
  readonly expiresAt: Date;
  /** X-Amz-Signature: what makes this proof one request (a request sent again whole carries the same). */
  readonly signature: string;
}

const PARAMETERS: Readonly<Record<string, RegExp>> = {
  Action: /^GetCallerIdentity$/,
  Version: /^2011-06-15$/,
  'X-Amz-Algorithm': /^AWS4-HMAC-SHA256$/,
  'X-Amz-Credential': /^[A-Z0-9]{16,128}\/\d{8}\/[a-z0-9-]{1,32}\/sts\/aws4_request$/,
  'X-Amz-Date': /^\d{8}T\d{6}Z$/,
  'X-Amz-Expires': /^[1-9]\d{0,2}$/,
  'X-Amz-SignedHeaders': new RegExp(`^host;${PROOF_BINDING_HEADER}$`),
  'X-Amz-Signature': /^[0-9a-f]{64}$/,
  'X-Amz-Security-Token': /^[A-Za-z0-9+/=]{1,4096}$/,
};
const OPTIONAL = new Set(['X-Amz-Security-Token']);

/**
 * Checks a proof's form for a function in `region` (pure): the exact parameters of a presigned
 * GetCallerIdentity for STS in this Region, signed over the binding header, good for at most 15
 * minutes. Anything else, or anything more, is refused with the reason.
 */
export function parseCallerProof(proof: string | undefined, region: string): ParsedProof | { readonly refused: string } {
  if (proof === undefined || proof.length === 0) return { refused: `the request carries no caller proof (${CALLER_PROOF_HEADER})` };
  if (proof.length > 8192) return { refused: 'the caller proof is longer than any presigned GetCallerIdentity' };
  const params = new URLSearchParams(proof);
  const seen = new Set<string>();
  for (const [name, value] of params) {
    const form = PARAMETERS[name];
    if (form === undefined) return { refused: `the caller proof has a parameter a presigned GetCallerIdentity does not: ${JSON.stringify(name.slice(0, 64))}` };
    if (seen.has(name)) return { refused: `the caller proof repeats ${name}` };
    seen.add(name);
    if (!form.test(value)) return { refused: `the caller proof's ${name} is not what Firebreak signs` };
  }
  const missing = Object.keys(PARAMETERS).filter((name) => !seen.has(name) && !OPTIONAL.has(name));
  if (missing.length > 0) return { refused: `the caller proof lacks ${missing.join(', ')}` };
  const [accessKeyId, day, scopeRegion] = (params.get('X-Amz-Credential') as string).split('/') as [string, string, string];
  if (scopeRegion !== region) return { refused: `the caller proof is signed for STS in ${scopeRegion}, not ${region}, where this function runs` };
  const date = params.get('X-Amz-Date') as string;
  if (!date.startsWith(day)) return { refused: "the caller proof's date is not its credential's" };
  const signedAt = amzDate(date);
  if (Number.isNaN(signedAt.getTime())) return { refused: "the caller proof's X-Amz-Date is not a date" };
  const expiresIn = Number(params.get('X-Amz-Expires'));
  if (expiresIn > PROOF_MAX_EXPIRES_SECONDS) return { refused: `the caller proof asks to be good for more than ${PROOF_MAX_EXPIRES_SECONDS} seconds` };
  const query = new URLSearchParams(Object.keys(PARAMETERS).flatMap((name): [string, string][] => (params.has(name) ? [[name, params.get(name) as string]] : []))).toString();
  return { accessKeyId, query, signedAt, expiresAt: new Date(signedAt.getTime() + expiresIn * 1000), signature: params.get('X-Amz-Signature') as string };
}

/**
 * Why a proof is refused at `now` for its dates, if it is (pure). STS ignores X-Amz-Expires on a
 * presigned GetCallerIdentity and takes it for 15 minutes after X-Amz-Date (aws-iam-authenticator,
 * pkg/token/token.go; aws/aws-sdk-go#2167): the lifetime the proof states is held here. A proof
 * dated ahead would be good for longer; SigV4 allows a clock five minutes off, so does this.
 */
export function proofLifetimeRefusal(proof: ParsedProof, now: Date): string | undefined {
  const clock = `this function's clock says ${now.toISOString()}: if that keeps happening, set the clock of the computer that answers right`;
  if (now > proof.expiresAt) return `the caller proof expired at ${proof.expiresAt.toISOString()} (made at ${proof.signedAt.toISOString()}); ${clock}`;
  if (proof.signedAt.getTime() > now.getTime() + PROOF_CLOCK_AHEAD_SECONDS * 1000) return `the caller proof is dated ahead, ${proof.signedAt.toISOString()}; ${clock}`;
  return undefined;
}

/** The principal STS said signed a proof. */
export interface ProvenCaller {
  /** As GetCallerIdentity gives it: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, `arn:aws:iam::<account>:user/<path><name>`. */
  readonly arn: string;
  /** The principal's unique id (`AROA…:<session>`, `AIDA…`). */
  readonly userId: string;
  readonly account: string;
  /** The access key that signed the proof. */
  readonly accessKeyId: string;
}

/** Asks who signed a proof of the right form. */
export interface CallerProofVerifier {
  /** The Region of the function, whose STS the proofs must be signed for. */
  readonly region: string;
  /**
   * The caller, or why the proof does not verify (expired, signed over another binding, unknown
   * key). Throws when the answer cannot be had (STS unreachable, throttled, a 5xx): transient.
   */
  callerOf(proof: ParsedProof, binding: string): Promise<ProvenCaller | { readonly refused: string }>;
}

/** What `fetch` needs to be for the verifier (the global one in Lambda). */
export type ProofFetch = (url: string, init: { method: 'GET'; headers: Record<string, string>; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** Raised when STS could not be asked (network, throttling, 5xx): nothing is decided on it. */
export class CallerProofUnavailableError extends Error {
  override readonly name = 'CallerProofUnavailableError';
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };

/** An element's text, unescaped: STS escapes what an IAM user's path may hold (`&`, `<`, `'`...), and the ARN is compared unescaped. */
function xmlText(xml: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]{1,4096})</${element}>`)
    .exec(xml)?.[1]
    ?.replace(/&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(amp|lt|gt|apos|quot));/g, (_entity, hex?: string, decimal?: string, name?: string) =>
      name !== undefined ? (XML_ENTITIES[name] as string) : String.fromCodePoint(Number.parseInt(hex ?? decimal ?? '', hex !== undefined ? 16 : 10)),
    );
}

/** The proof's verifier in Lambda: sends the rebuilt request to STS in the function's own Region. */
export class StsCallerProofVerifier implements CallerProofVerifier {
  constructor(
    readonly region: string,
    private readonly send: ProofFetch = (url, init) => fetch(url, init),
    private readonly timeoutMs = 5000,
  ) {}

  async callerOf(proof: ParsedProof, binding: string): Promise<ProvenCaller | { readonly refused: string }> {
    let status: number;
    let text: string;
    try {
      const response = await this.send(`https://${stsHost(this.region)}/?${proof.query}`, { method: 'GET', headers: { [PROOF_BINDING_HEADER]: binding }, signal: AbortSignal.timeout(this.timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new CallerProofUnavailableError(`STS could not be asked who signed the caller proof: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const code = xmlText(text, 'Code');
    // 403 (and 400 for a malformed or expired signature): the proof does not verify. Throttling and 5xx: transient.
    // The caller's account switched STS off in this Region (IAM account settings): no proof of theirs verifies here, whatever they do.
    if (code === 'RegionDisabledException') {
      return { refused: `STS is not activated in ${this.region} for the caller's account (RegionDisabledException): an administrator of that account activates it in its IAM account settings (Security Token Service endpoints)` };
    }
    if ((status === 403 || status === 400) && code !== 'Throttling') return { refused: `STS did not verify the caller proof (${code ?? `HTTP ${status}`})` };
    if (status !== 200) throw new CallerProofUnavailableError(`STS answered the caller proof with HTTP ${status}${code !== undefined ? ` ${code}` : ''}`);
    const arn = xmlText(text, 'Arn');
    const userId = xmlText(text, 'UserId');
    const account = xmlText(text, 'Account');
    if (arn === undefined || userId === undefined || account === undefined) throw new CallerProofUnavailableError('STS answered the caller proof without Arn, UserId and Account');
    return { arn, userId, account, accessKeyId: proof.accessKeyId };
  }
}

/**
 * The caller STS says signed the request's proof for this body and purpose, or why there is none to trust:
 * no proof, a proof of another form, Region or body, or one signed by another principal or key
 * than the Function URL authenticated (the CLI signs both with the same credentials).
 */
export async function provenCaller(
  purpose: ProofPurpose,
  proof: string | undefined,
  body: string,
  claimed: { readonly userArn: string; readonly accessKey?: string | undefined },
  callers: CallerProofVerifier,
  now: Date,
): Promise<(ProvenCaller & { readonly proof: Pick<ParsedProof, 'signature' | 'expiresAt'> }) | { readonly refused: string; readonly unavailable?: true }> {
  const parsed = parseCallerProof(proof, callers.region);
  if ('refused' in parsed) return parsed;
  // STS would take it for 15 minutes whatever its stated lifetime: a proof captured is held to that lifetime here.
  const outlived = proofLifetimeRefusal(parsed, now);
  if (outlived !== undefined) return { refused: outlived };
  let caller: ProvenCaller | { readonly refused: string };
  try {
    caller = await callers.callerOf(parsed, proofBinding(purpose, body));
  } catch (error) {
    if (error instanceof CallerProofUnavailableError) return { refused: `who signed the request could not be checked (${error.message}); try again`, unavailable: true };
    throw error;
  }
  if ('refused' in caller) return caller;
  if (caller.arn !== claimed.userArn || (claimed.accessKey !== undefined && claimed.accessKey !== caller.accessKeyId)) {
    return { refused: `the caller proof was signed by ${caller.arn}, but the request says ${claimed.userArn}` };
  }
  return { ...caller, proof: { signature: parsed.signature, expiresAt: parsed.expiresAt } };
}
