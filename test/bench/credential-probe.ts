/**
 * Bundled by bundles.test.ts with the stack's esbuild options and run in a fresh Node process: the
 * credentials a Route 53 Resolver client (client-route53resolver 3.654, its own credential chain)
 * and a current SDK client (EC2) resolve with the responders' client factories, from the
 * environment the process is given. Not part of any Lambda.
 */
import { SameAccountAccess } from '../../lib/aws/clients/access';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { route53ResolverClientsFor } from '../../lib/aws/clients/route53resolver';

/** Each client's resolved access key id, or the error its credential chain threw. */
export async function probe(): Promise<Record<string, string>> {
  const access = new SameAccountAccess('eu-west-1');
  const target = { account: '111122223333', region: 'eu-west-1' };
  const clients = { route53resolver: await route53ResolverClientsFor(access).route53resolver(target), ec2: await ec2ClientsFor(access).ec2(target) };
  const seen: Record<string, string> = {};
  for (const [name, client] of Object.entries(clients)) {
    try {
      const credentials = await client.config.credentials();
      seen[name] = credentials.accessKeyId;
    } catch (error) {
      seen[name] = `${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  return seen;
}
