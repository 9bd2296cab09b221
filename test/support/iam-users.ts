/**
 * GetUser's answer for a user of the tests' account: its path and tags, as IAM gives them (the
 * guard and disable-access-key read a user's path and tags with one GetUser).
 */
import type { GetUserCommandOutput } from '@aws-sdk/client-iam';

export function getUserAnswer(userName: string, tags: Readonly<Record<string, string>> = {}, path = '/', account = '111122223333'): Pick<GetUserCommandOutput, 'User'> {
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    User: {
      UserName: userName,
      Path: path,
      UserId: 'AIDAQ3EGRW6JEXAMPLE1',
      Arn: `arn:aws:iam::${account}:user${path}${userName}`,
      CreateDate: new Date('2026-01-01T00:00:00Z'),
      ...(tagList.length > 0 ? { Tags: tagList } : {}),
    },
  };
}
