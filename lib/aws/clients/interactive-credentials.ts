/**
 * What a responder bundle gets instead of the SDK's interactive sign-in credential providers
 * (`@aws-sdk/credential-provider-sso` and `@aws-sdk/credential-provider-login`): esbuild aliases
 * both packages to this module (`RESPONDER_CREDENTIAL_ALIASES` in lib/stack/responder-function.ts),
 * so no Lambda bundles the SSO / SSO-OIDC / sign-in clients they bring (for the DNS Firewall
 * responders, the whole `@aws-sdk/client-sso` and `client-sso-oidc` of client-route53resolver 3.654).
 *
 * Why a Lambda can never reach them: both need a token that a person's interactive sign-in cached
 * on their own machine (`aws sso login` under ~/.aws/sso/cache, `aws login` under ~/.aws/login/cache)
 * and a profile naming it in ~/.aws/config. A Lambda function has neither; its execution role's
 * credentials are in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * which the default chain reads first (`fromEnv`), and the SDK's chain asks the SSO provider only
 * when SSO settings were passed to it in code or an SSO profile is configured, which no responder
 * does. Should one ever be configured, the call fails with the message below instead of silently
 * trying another source. Never imported by source code: the local game day and the CLI (which
 * people run with SSO profiles) keep the SDK's real providers.
 */

/** The error the stand-ins throw: named like the SDK's, never "try the next provider". */
export class InteractiveCredentialsUnavailableError extends Error {
  override readonly name = 'CredentialsProviderError';
  /** Read by the SDK's provider chain (@smithy/property-provider `chain`): stop here, say why. */
  readonly tryNextLink = false;
}

function unavailable(kind: string): () => Promise<never> {
  return async () => {
    throw new InteractiveCredentialsUnavailableError(
      `${kind} credentials are not bundled in Firebreak's Lambda functions: a function uses its execution role's ` +
        'credentials from its environment (see lib/aws/clients/interactive-credentials.ts)',
    );
  };
}

/** Stand-in for `@aws-sdk/credential-provider-sso`'s `fromSSO`. */
export const fromSSO = (_init?: unknown) => unavailable('IAM Identity Center (SSO)');

/** Stand-in for `@aws-sdk/credential-provider-login`'s `fromLoginCredentials`. */
export const fromLoginCredentials = (_init?: unknown) => unavailable('Console sign-in (aws login)');
