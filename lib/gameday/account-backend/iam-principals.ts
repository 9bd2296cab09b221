/**
 * The IAM users (with their access keys) and roles a credential scenario declares
 * (`environment.iamUsers`, `environment.iamRoles`): created through the operator's IAM calls like
 * every other resource of the environment, read back after the run for the `iamUsers` / `iamRoles`
 * expectations, and deleted at cleanup (keys and attached policies first, as IAM requires).
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ResolvedIamPrincipals } from '../backend';
import type { EnvironmentDocument } from '../scenario';
import type { BackendContext, CreatedResource } from './context';

/** A role nobody can assume (the game day only needs it to exist): trusts the account root, with no principal given the right. */
function noOneTrustPolicy(account: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] });
}

const tagList = (tags: Readonly<Record<string, string>>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Creates the users (each key Active, then set as the scenario says) and the roles. */
export async function createIamPrincipals(context: BackendContext, environment: EnvironmentDocument): Promise<ResolvedIamPrincipals> {
  const users = Object.entries(environment.iamUsers);
  const roles = Object.entries(environment.iamRoles);
  if (users.length === 0 && roles.length === 0) return { iamUsers: {}, iamRoles: {} };
  const iam = await context.clients.iam();
  const iamUsers: Record<string, { userName: string; arn: string; accessKeys: string[] }> = {};
  for (const [name, spec] of users) {
    const created = await iam.send(new CreateUserCommand({ UserName: name, ...(spec.path !== undefined ? { Path: spec.path } : {}), ...(Object.keys(spec.tags).length > 0 ? { Tags: tagList(spec.tags) } : {}) }));
    context.created.push({ kind: 'user', id: name });
    const accessKeys: string[] = [];
    for (const status of spec.accessKeys) {
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      const id = key.AccessKey?.AccessKeyId ?? '';
      accessKeys.push(id);
      if (status === 'Inactive') await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: id, Status: 'Inactive' }));
    }
    iamUsers[name] = { userName: name, arn: created.User?.Arn ?? '', accessKeys };
  }
  const iamRoles: Record<string, { roleName: string; arn: string; roleId: string }> = {};
  for (const [name, spec] of roles) {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: noOneTrustPolicy(context.account), Description: `firebreak game day ${context.runId}`, ...(Object.keys(spec.tags).length > 0 ? { Tags: tagList(spec.tags) } : {}) }),
    );
    context.created.push({ kind: 'role', id: name });
    iamRoles[name] = { roleName: name, arn: created.Role?.Arn ?? '', roleId: created.Role?.RoleId ?? '' };
  }
  return { iamUsers, iamRoles };
}

/** What the expectations read: each user's key statuses and attached policies, each role's inline policies. */
export interface InspectedIam {
  readonly users: Readonly<Record<string, { readonly accessKeys: readonly string[]; readonly attachedPolicies: readonly string[] }>>;
  readonly roles: Readonly<Record<string, { readonly inlinePolicies: readonly string[] }>>;
}

export async function inspectIamPrincipals(context: BackendContext, resolved: ResolvedIamPrincipals, renamed: ReadonlyMap<string, string> = new Map()): Promise<InspectedIam | undefined> {
  const userNames = Object.keys(resolved.iamUsers ?? {});
  const roleNames = Object.keys(resolved.iamRoles ?? {});
  if (userNames.length === 0 && roleNames.length === 0) return undefined;
  const iam = await context.clients.iam();
  const users: Record<string, { accessKeys: string[]; attachedPolicies: string[] }> = {};
  for (const name of userNames) {
    // A user renamed by a `tamper: { renameUser }` is read under its current name, reported under the environment's.
    const current = renamed.get(name) ?? name;
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: current }));
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: current }));
    const byId = new Map((keys.AccessKeyMetadata ?? []).map((key) => [key.AccessKeyId, key.Status ?? 'unknown']));
    // In the order the scenario created them; a deleted key shows as `deleted`.
    users[name] = {
      accessKeys: (resolved.iamUsers?.[name]?.accessKeys ?? []).map((id) => byId.get(id) ?? 'deleted'),
      attachedPolicies: (attached.AttachedPolicies ?? []).map((policy) => policy.PolicyName ?? ''),
    };
  }
  const roles: Record<string, { inlinePolicies: string[] }> = {};
  for (const name of roleNames) roles[name] = { inlinePolicies: [...((await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [])].sort() };
  return { users, roles };
}

type Attempt = (what: string, run: () => Promise<unknown>) => Promise<void>;

/** Deletes the scenario's users: their keys and attached policies first (DeleteConflict otherwise). Roles go with the other roles. */
export async function cleanUpIamUsers(client: IAMClient, of: (kind: CreatedResource['kind']) => string[], attempt: Attempt): Promise<void> {
  for (const name of of('user')) {
    await attempt(`user ${name}`, async () => {
      for (const key of (await client.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []) {
        await client.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }));
      }
      for (const policy of (await client.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? []) {
        await client.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policy.PolicyArn }));
      }
      await client.send(new DeleteUserCommand({ UserName: name }));
    });
  }
}
