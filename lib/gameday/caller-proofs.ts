/**
 * STS's part in the game day's caller proofs (lib/responders/caller-proof.ts): the people who
 * answer approval requests get credentials of their own, sign their proofs with them exactly as
 * `firebreak approve` does (lib/operator/caller-proof.ts), and the approval function asks this
 * simulation who signed, as it asks STS in Lambda. A proof verifies only when its SigV4 signature
 * is the one its key's secret gives over the binding the function computed, within its lifetime
 * on the game day's clock: a proof for another body, or signed with a key this STS never issued,
 * does not.
 */
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { CallerProofVerifier, ParsedProof, ProvenCaller } from '../responders/caller-proof';
import { PROOF_BINDING_HEADER, stsHost } from '../responders/caller-proof';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A principal's unique id by its ARN, as STS gives it: `AROA…:<session>` for a role session, `AIDA…` for a user. */
function uniqueIdOf(arn: string): string {
  const session = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  const id = digest(session ? `role ${arn.split(':')[4] ?? ''} ${session[1]}` : `principal ${arn}`).slice(0, 17).toUpperCase();
  return session ? `AROA${id}:${session[2]}` : `AIDA${id}`;
}

/** The game day's STS for caller proofs: issues credentials to principals and says who signed a proof. */
export class LocalCallerProofs implements CallerProofVerifier {
  private readonly issued = new Map<string, { readonly arn: string; readonly credentials: AwsCredentialIdentity; readonly userId: string }>();

  constructor(
    readonly region: string,
    private readonly now: () => Date,
  ) {}

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

  async callerOf(proof: ParsedProof, binding: string): Promise<ProvenCaller | { readonly refused: string }> {
    const holder = this.issued.get(proof.accessKeyId);
    if (holder === undefined) return { refused: 'STS did not verify the caller proof (InvalidClientTokenId)' };
    const params = new URLSearchParams(proof.query);
    if (params.get('X-Amz-Security-Token') !== holder.credentials.sessionToken) return { refused: 'STS did not verify the caller proof (InvalidClientTokenId)' };
    const date = params.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const expiresIn = Number(params.get('X-Amz-Expires'));
    const now = this.now().getTime();
    // STS ignores X-Amz-Expires on a presigned GetCallerIdentity: it takes one for 15 minutes after
    // X-Amz-Date (aws-iam-authenticator, pkg/token/token.go; aws/aws-sdk-go#2167), and refuses one
    // dated more than 15 minutes ahead. The function holds a proof to its stated lifetime itself.
    if (!(now <= signedAt + 15 * 60_000) || signedAt > now + 15 * 60_000) return { refused: 'STS did not verify the caller proof (ExpiredToken)' };
    const hostname = stsHost(this.region);
    const query: Record<string, string> = {};
    for (const name of ['Action', 'Version']) query[name] = params.get(name) ?? '';
    const signer = new SignatureV4({ service: 'sts', region: this.region, credentials: holder.credentials, sha256: Sha256 });
    const expected = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname, path: '/', query, headers: { host: hostname, [PROOF_BINDING_HEADER]: binding } },
      { expiresIn, signingDate: new Date(signedAt), unhoistableHeaders: new Set([PROOF_BINDING_HEADER]) },
    );
    if (expected.query?.['X-Amz-Signature'] !== params.get('X-Amz-Signature')) return { refused: 'STS did not verify the caller proof (SignatureDoesNotMatch)' };
    return { arn: holder.arn, userId: holder.userId, account: holder.arn.split(':')[4] ?? '', accessKeyId: proof.accessKeyId };
  }
}
