/**
 * STS's part in the game day's caller proofs (lib/responders/caller-proof.ts): the people who
 * answer approval requests get credentials of their own, sign their proofs with them exactly as
 * `firebreak approve` does (lib/operator/caller-proof.ts), and the approval function asks this
 * simulation who signed, through the very code that asks STS in Lambda (StsCallerProofVerifier,
 * over `endpoint`, this STS's HTTPS endpoint). A proof verifies only when its SigV4 signature is the
 * one its key's secret gives over the request the function sent (host, query, the binding header it
 * computed), within the 15 minutes STS takes one for on the game day's clock: a proof for another
 * body, sent elsewhere, or signed with a key this STS never issued, does not.
 */
import { createHash } from 'node:crypto';
import { NodeSha256 } from '../operator/caller-proof';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { CallerProofVerifier, ParsedProof, ProofFetch, ProvenCaller } from '../responders/caller-proof';
import { StsCallerProofVerifier, amzDate, stsHost } from '../responders/caller-proof';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** SigV4's own query parameters: the rest of the query is what the signature covers as the request's. */
const SIGV4_PARAMETERS = new Set(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token']);

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** STS's error answer (the query protocol's XML). */
function stsError(status: number, code: string): { status: number; text(): Promise<string> } {
  return { status, text: async () => `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>gameday</Message></Error></ErrorResponse>` };
}

/** A principal's unique id by its ARN, as STS gives it: `AROA…:<session>` for a role session, `AIDA…` for a user. */
function uniqueIdOf(arn: string): string {
  const session = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  const id = digest(session ? `role ${arn.split(':')[4] ?? ''} ${session[1]}` : `principal ${arn}`).slice(0, 17).toUpperCase();
  return session ? `AROA${id}:${session[2]}` : `AIDA${id}`;
}

/** The game day's STS for caller proofs: issues credentials to principals and says who signed a proof. */
export class LocalCallerProofs implements CallerProofVerifier {
  private readonly issued = new Map<string, { readonly arn: string; readonly credentials: AwsCredentialIdentity; readonly userId: string }>();

  /** The verifier the approval and pause functions run in Lambda, sending to `endpoint`. */
  private readonly verifier: StsCallerProofVerifier;

  constructor(
    readonly region: string,
    private readonly now: () => Date,
  ) {
    this.verifier = new StsCallerProofVerifier(region, this.endpoint);
  }

  /**
   * The credentials `arn` signs with (the same for the whole run, as a person's session); `as`
   * gives the access key id and unique id STS knows them by, when a test needs particular ones.
   */
  credentialsOf(arn: string, as: { readonly accessKeyId?: string; readonly userId?: string } = {}): AwsCredentialIdentity {
    const accessKeyId = as.accessKeyId ?? `ASIA${digest(`key ${arn}`).slice(0, 16).toUpperCase()}`;
    const known = this.issued.get(accessKeyId);
    if (known !== undefined && known.arn === arn) return known.credentials;
    if (known !== undefined) throw new Error(`access key ${accessKeyId} was issued to ${known.arn}, not ${arn}`);
    return this.issue(arn, { accessKeyId, secretAccessKey: digest(`secret ${arn} ${accessKeyId}`), sessionToken: Buffer.from(digest(`token ${arn} ${accessKeyId}`)).toString('base64') }, as.userId);
  }

  /** Records `credentials` as `arn`'s (a test's fixed credentials, say): proofs they sign verify as `arn`. */
  issue(arn: string, credentials: AwsCredentialIdentity, userId: string = uniqueIdOf(arn)): AwsCredentialIdentity {
    this.issued.set(credentials.accessKeyId, { arn, credentials, userId });
    return credentials;
  }

  /**
   * Who signed a proof: asked exactly as the function asks STS in Lambda (StsCallerProofVerifier:
   * the URL it builds, the header it sends, how it reads the XML and the status), of `endpoint`.
   */
  callerOf(proof: ParsedProof, binding: string): Promise<ProvenCaller | { readonly refused: string }> {
    return this.verifier.callerOf(proof, binding);
  }

  /**
   * STS's HTTPS endpoint in this Region, as far as a presigned GetCallerIdentity goes: it checks the
   * SigV4 signature over the request it receives (its host, its query, the headers the signature
   * names, with the values sent), and answers in STS's XML, the caller's ARN escaped.
   */
  readonly endpoint: ProofFetch = async (url, init) => {
    const received = new URL(url);
    // Another host is not this STS (a wrong domain does not resolve): nothing answers.
    if (received.protocol !== 'https:' || received.hostname !== stsHost(this.region)) throw new TypeError(`fetch failed: getaddrinfo ENOTFOUND ${received.hostname}`);
    const params = received.searchParams;
    const holder = this.issued.get((params.get('X-Amz-Credential') ?? '').split('/')[0] ?? '');
    if (holder === undefined || params.get('X-Amz-Security-Token') !== (holder.credentials.sessionToken ?? null)) return stsError(403, 'InvalidClientTokenId');
    const signedAt = amzDate(params.get('X-Amz-Date') ?? '').getTime();
    const now = this.now().getTime();
    // STS ignores X-Amz-Expires on a presigned GetCallerIdentity: it takes one for 15 minutes after
    // X-Amz-Date (aws-iam-authenticator, pkg/token/token.go; aws/aws-sdk-go#2167), and refuses one
    // dated more than 15 minutes ahead. The function holds a proof to its stated lifetime itself.
    if (!(now <= signedAt + 15 * 60_000) || signedAt > now + 15 * 60_000) return stsError(403, 'ExpiredToken');
    // The headers the signature names, with the values this request carries (an unsigned one is not read).
    const sent = new Map(Object.entries(init.headers).map(([name, value]) => [name.toLowerCase(), value]));
    const headers: Record<string, string> = {};
    for (const name of (params.get('X-Amz-SignedHeaders') ?? '').split(';')) {
      const value = name === 'host' ? received.host : sent.get(name);
      if (value === undefined) return stsError(403, 'SignatureDoesNotMatch');
      headers[name] = value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of params) if (!SIGV4_PARAMETERS.has(name)) query[name] = value;
    const signer = new SignatureV4({ service: 'sts', region: this.region, credentials: holder.credentials, sha256: NodeSha256 });
    const expected = await signer.presign(
      { method: init.method, protocol: 'https:', hostname: received.hostname, path: received.pathname, query, headers },
      { expiresIn: Number(params.get('X-Amz-Expires')), signingDate: new Date(signedAt), unhoistableHeaders: new Set(Object.keys(headers)) },
    );
    if (expected.query?.['X-Amz-Signature'] !== params.get('X-Amz-Signature')) return stsError(403, 'SignatureDoesNotMatch');
    if (query.Action !== 'GetCallerIdentity') return stsError(400, 'InvalidAction');
    const account = holder.arn.split(':')[4] ?? '';
    return {
      status: 200,
      text: async () =>
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${xmlEscape(holder.arn)}</Arn><UserId>${xmlEscape(holder.userId)}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>gameday</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    };
  };
}
