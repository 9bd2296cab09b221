/**
 * IAM users and their access keys in the simulated account: what disable-access-key and the guard read
 * (GetUser, ListUserTags, ListAccessKeys, ListAttachedUserPolicies, GetAccessKeyLastUsed) and changes
 * (UpdateAccessKey, AttachUserPolicy), and what a game day creates, renames and deletes around it
 * (CreateUser, TagUser, UpdateUser, CreateAccessKey, DeleteAccessKey, DetachUserPolicy, DeleteUser). Errors as IAM sends them:
 * NoSuchEntity 404, LimitExceeded 409 (two keys per user), DeleteConflict 409, ValidationError 400.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
 */
import type {
  AttachUserPolicyCommandInput,
  CreateAccessKeyCommandInput,
  CreateUserCommandInput,
  DeleteAccessKeyCommandInput,
  DeleteUserCommandInput,
  DetachUserPolicyCommandInput,
  GetAccessKeyLastUsedCommandInput,
  GetUserCommandInput,
  ListAccessKeysCommandInput,
  ListAttachedUserPoliciesCommandInput,
  ListUserTagsCommandInput,
  TagUserCommandInput,
  UpdateAccessKeyCommandInput,
  UpdateUserCommandInput,
} from '@aws-sdk/client-iam';
import { tagRecord } from '../../aws/describe-instance';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { UserRecord } from './model';
import type { SimWorld } from './world';

/** IAM's quota of access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;
/** AWS managed policies the simulated account knows (ARN → name): the ones Firebreak attaches. */
const MANAGED_POLICIES = new Set(['arn:aws:iam::aws:policy/AWSDenyAll']);

function iamError(code: string, message: string, status: number): SimulatedServiceError {
  return new SimulatedServiceError(code, message, status);
}

/** The user `name` of the caller's account, if any. */
export function userNamed(world: SimWorld, account: string, name: string | undefined): UserRecord | undefined {
  return [...world.users.values()].find((user) => user.account === account && user.name === name);
}

/** The user of `account` that owns access key `accessKeyId`, if any. */
export function ownerOfKey(world: SimWorld, account: string, accessKeyId: string | undefined): UserRecord | undefined {
  return [...world.users.values()].find((user) => user.account === account && accessKeyId !== undefined && user.accessKeys.has(accessKeyId));
}

function requireUser(world: SimWorld, call: SimCall, name: string | undefined): UserRecord {
  const user = userNamed(world, call.account, name);
  if (!user) throw iamError('NoSuchEntity', `The user with name ${String(name)} cannot be found.`, 404);
  return user;
}

export function iamUserHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html */
    CreateUser(call) {
      const input = inputOf<CreateUserCommandInput>(call);
      if (!input.UserName) throw iamError('ValidationError', "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null", 400);
      if (userNamed(world, call.account, input.UserName)) throw iamError('EntityAlreadyExists', `User with name ${input.UserName} already exists.`, 409);
      const path = input.Path ?? '/';
      const user: UserRecord = {
        account: call.account,
        name: input.UserName,
        id: `AIDA${world.ids.upperAlnum(17)}`,
        arn: `arn:aws:iam::${call.account}:user${path}${input.UserName}`,
        path,
        tags: tagRecord(input.Tags),
        accessKeys: new Map(),
        attachedPolicies: [],
        createDate: world.now(),
      };
      world.users.set(user.arn, user);
      return { User: { UserName: user.name, UserId: user.id, Arn: user.arn, Path: user.path, CreateDate: new Date(user.createDate) } };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagUser.html */
    TagUser(call) {
      const input = inputOf<TagUserCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      for (const tag of input.Tags ?? []) if (tag.Key !== undefined) user.tags[tag.Key] = tag.Value ?? '';
      return {};
    },

    /**
     * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html: a new name (NewUserName)
     * or path; the user keeps its id, its keys, tags and policies, and its ARN follows the new name.
     */
    UpdateUser(call) {
      const input = inputOf<UpdateUserCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      const name = input.NewUserName ?? user.name;
      const path = input.NewPath ?? user.path;
      if (name !== user.name && userNamed(world, call.account, name)) throw iamError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
      world.users.delete(user.arn);
      const renamed: UserRecord = { ...user, name, path, arn: `arn:aws:iam::${user.account}:user${path}${name}` };
      world.users.set(renamed.arn, renamed);
      return {};
    },

    /**
     * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html: UserName, the
     * user that owns the key now (whatever name a finding gave it). A key no user of the caller's
     * account owns answers NoSuchEntity, as older versions of the reference documented. The
     * simulation records no use, so the last use is "N/A", as IAM answers for a key never used.
     */
    GetAccessKeyLastUsed(call) {
      const input = inputOf<GetAccessKeyLastUsedCommandInput>(call);
      const owner = ownerOfKey(world, call.account, input.AccessKeyId);
      if (!owner) throw iamError('NoSuchEntity', `The Access Key with id ${String(input.AccessKeyId)} cannot be found.`, 404);
      return { UserName: owner.name, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    },

    /**
     * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html: the user with its path and
     * tags (a user has at most 50, all in the answer). Firebreak always names the user: the call
     * without a name, which answers the caller's own user, is not simulated.
     */
    GetUser(call) {
      const input = inputOf<GetUserCommandInput>(call);
      if (input.UserName === undefined) throw iamError('ValidationError', 'GetUser without UserName (the caller itself) is not simulated.', 400);
      const user = requireUser(world, call, input.UserName);
      const tags = Object.entries(user.tags).map(([Key, Value]) => ({ Key, Value }));
      return { User: { UserName: user.name, UserId: user.id, Arn: user.arn, Path: user.path, CreateDate: new Date(user.createDate), ...(tags.length > 0 ? { Tags: tags } : {}) } };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserTags.html */
    ListUserTags(call) {
      const input = inputOf<ListUserTagsCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      return { Tags: Object.entries(user.tags).map(([Key, Value]) => ({ Key, Value })), IsTruncated: false };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html (LimitExceeded past two keys). */
    CreateAccessKey(call) {
      const input = inputOf<CreateAccessKeyCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      if (user.accessKeys.size >= ACCESS_KEYS_PER_USER) throw iamError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`, 409);
      const id = `AKIA${world.ids.upperAlnum(16)}`;
      user.accessKeys.set(id, { id, status: 'Active', createDate: world.now() });
      return { AccessKey: { UserName: user.name, AccessKeyId: id, Status: 'Active', SecretAccessKey: world.ids.upperAlnum(40), CreateDate: new Date(world.now()) } };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html */
    ListAccessKeys(call) {
      const input = inputOf<ListAccessKeysCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      return {
        AccessKeyMetadata: [...user.accessKeys.values()].map((key) => ({ UserName: user.name, AccessKeyId: key.id, Status: key.status, CreateDate: new Date(key.createDate) })),
        IsTruncated: false,
      };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html: the key must be the user's (NoSuchEntity otherwise). */
    UpdateAccessKey(call) {
      const input = inputOf<UpdateAccessKeyCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      if (input.Status !== 'Active' && input.Status !== 'Inactive') throw iamError('ValidationError', `Value '${String(input.Status)}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`, 400);
      const key = user.accessKeys.get(String(input.AccessKeyId));
      if (!key) throw iamError('NoSuchEntity', `The Access Key with id ${String(input.AccessKeyId)} cannot be found.`, 404);
      key.status = input.Status;
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html */
    DeleteAccessKey(call) {
      const input = inputOf<DeleteAccessKeyCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      if (!user.accessKeys.delete(String(input.AccessKeyId))) throw iamError('NoSuchEntity', `The Access Key with id ${String(input.AccessKeyId)} cannot be found.`, 404);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html (attaching twice changes nothing). */
    AttachUserPolicy(call) {
      const input = inputOf<AttachUserPolicyCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      const arn = String(input.PolicyArn);
      if (!MANAGED_POLICIES.has(arn)) throw iamError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
      if (!user.attachedPolicies.includes(arn)) user.attachedPolicies.push(arn);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachUserPolicy.html */
    DetachUserPolicy(call) {
      const input = inputOf<DetachUserPolicyCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      const at = user.attachedPolicies.indexOf(String(input.PolicyArn));
      if (at < 0) throw iamError('NoSuchEntity', `Policy ${String(input.PolicyArn)} was not found.`, 404);
      user.attachedPolicies.splice(at, 1);
      return {};
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html */
    ListAttachedUserPolicies(call) {
      const input = inputOf<ListAttachedUserPoliciesCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      return { AttachedPolicies: user.attachedPolicies.map((arn) => ({ PolicyArn: arn, PolicyName: arn.slice(arn.lastIndexOf('/') + 1) })), IsTruncated: false };
    },

    /** https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html: no key and no attached policy may remain (DeleteConflict). */
    DeleteUser(call) {
      const input = inputOf<DeleteUserCommandInput>(call);
      const user = requireUser(world, call, input.UserName);
      if (user.accessKeys.size > 0 || user.attachedPolicies.length > 0) throw iamError('DeleteConflict', 'Cannot delete entity, must delete access keys and detach policies first.', 409);
      world.users.delete(user.arn);
      return {};
    },
  };
}
