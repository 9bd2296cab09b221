/**
 * IAM: the instance profiles and roles the quarantine responder reads and, when revoking role
 * sessions, writes an inline deny policy on. Errors as IAM sends them (NoSuchEntity 404,
 * MalformedPolicyDocument, LimitExceeded): https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html
 */
import type {
  DeleteRolePolicyCommandInput,
  GetInstanceProfileCommandInput,
  GetRoleCommandInput,
  GetRolePolicyCommandInput,
  InstanceProfile,
  ListInstanceProfilesForRoleCommandInput,
  ListRolePoliciesCommandInput,
  PutRolePolicyCommandInput,
  Role,
} from '@aws-sdk/client-iam';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { InstanceProfileRecord, RoleRecord } from './model';
import type { SimWorld } from './world';

/** IAM's quota for the inline policies of one role, together (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export const ROLE_INLINE_POLICY_BYTES = 10_240;

function noSuchEntity(message: string): SimulatedServiceError {
  return new SimulatedServiceError('NoSuchEntity', message, 404);
}

export function roleView(role: RoleRecord): Role {
  return {
    Arn: role.arn,
    // IAM returns policy documents URL-encoded (RFC 3986).
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.trustPolicy)),
    CreateDate: new Date(role.createDate),
    MaxSessionDuration: 3600,
    Path: role.path,
    RoleId: role.id,
    RoleName: role.name,
    ...(role.tags !== undefined ? { Tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
  };
}

function requireRole(world: SimWorld, call: SimCall, name: string | undefined): RoleRecord {
  const role = [...world.roles.values()].find((r) => r.account === call.account && r.name === name);
  if (!role) throw noSuchEntity(`The role with name ${String(name)} cannot be found.`);
  return role;
}

function profileView(world: SimWorld, profile: InstanceProfileRecord): InstanceProfile {
  return {
    Arn: profile.arn,
    CreateDate: new Date(profile.createDate),
    InstanceProfileId: profile.id,
    InstanceProfileName: profile.name,
    Path: profile.path,
    Roles: profile.roleNames
      .map((name) => [...world.roles.values()].find((r) => r.account === profile.account && r.name === name))
      .filter((r): r is RoleRecord => r !== undefined)
      .map(roleView),
  };
}

export function iamHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetInstanceProfile.html */
    GetInstanceProfile(call) {
      const input = inputOf<GetInstanceProfileCommandInput>(call);
      const profile = [...world.instanceProfiles.values()].find((p) => p.account === call.account && p.name === input.InstanceProfileName);
      if (!profile) throw noSuchEntity(`Instance Profile ${String(input.InstanceProfileName)} cannot be found.`);
      return { InstanceProfile: profileView(world, profile) };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html */
    GetRole(call) {
      const input = inputOf<GetRoleCommandInput>(call);
      return { Role: roleView(requireRole(world, call, input.RoleName)) };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfilesForRole.html */
    ListInstanceProfilesForRole(call) {
      const input = inputOf<ListInstanceProfilesForRoleCommandInput>(call);
      const role = requireRole(world, call, input.RoleName);
      const profiles = [...world.instanceProfiles.values()].filter((p) => p.account === role.account && p.roleNames.includes(role.name));
      return { InstanceProfiles: profiles.map((p) => profileView(world, p)), IsTruncated: false };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html */
    PutRolePolicy(call) {
      const input = inputOf<PutRolePolicyCommandInput>(call);
      const role = requireRole(world, call, input.RoleName);
      if (!input.PolicyName) throw new SimulatedServiceError('ValidationError', 'The specified value for policyName is invalid.', 400);
      const document = input.PolicyDocument ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(document);
      } catch (error) {
        throw new SimulatedServiceError('MalformedPolicyDocument', 'Syntax errors in policy.', 400, { cause: error });
      }
      const statements = (parsed as { Statement?: unknown }).Statement;
      if (typeof parsed !== 'object' || parsed === null || statements === undefined) {
        throw new SimulatedServiceError('MalformedPolicyDocument', 'Syntax errors in policy.', 400);
      }
      const others = [...role.inlinePolicies].filter(([name]) => name !== input.PolicyName).reduce((n, [, doc]) => n + doc.replace(/\s/g, '').length, 0);
      if (others + document.replace(/\s/g, '').length > ROLE_INLINE_POLICY_BYTES) {
        throw new SimulatedServiceError('LimitExceeded', `Maximum policy size of ${ROLE_INLINE_POLICY_BYTES} bytes exceeded for role ${role.name}`, 409);
      }
      role.inlinePolicies.set(input.PolicyName, document);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html */
    GetRolePolicy(call) {
      const input = inputOf<GetRolePolicyCommandInput>(call);
      const role = requireRole(world, call, input.RoleName);
      const document = role.inlinePolicies.get(input.PolicyName ?? '');
      if (document === undefined) throw noSuchEntity(`The role policy with name ${String(input.PolicyName)} cannot be found.`);
      return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePolicy.html */
    DeleteRolePolicy(call) {
      const input = inputOf<DeleteRolePolicyCommandInput>(call);
      const role = requireRole(world, call, input.RoleName);
      if (!role.inlinePolicies.delete(input.PolicyName ?? '')) {
        throw noSuchEntity(`The role policy with name ${String(input.PolicyName)} cannot be found.`);
      }
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html */
    ListRolePolicies(call) {
      const input = inputOf<ListRolePoliciesCommandInput>(call);
      const role = requireRole(world, call, input.RoleName);
      return { PolicyNames: [...role.inlinePolicies.keys()].sort(), IsTruncated: false };
    },
  };
}
