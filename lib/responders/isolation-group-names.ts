/**
 * The names Firebreak gives its two security groups in a VPC (isolation-groups.ts), in a leaf
 * module: the containment guard reads an instance's groups by name (row 15p) without bundling the
 * find-or-create adapter. A name says nothing of who created the group (impostors:
 * isolation-groups.ts).
 */
export const UNTRACK_GROUP_NAME = 'firebreak-untrack';
export const ISOLATION_GROUP_NAME = 'firebreak-isolation';

export type GroupPurpose = 'untrack' | 'isolation';

/** The names Firebreak gives its groups: the plain one, or `<plain>-<8 hex>` when an impostor holds the plain one. */
const GROUP_NAME_PATTERN = /^(firebreak-untrack|firebreak-isolation)(?:-[0-9a-f]{8})?$/;

/** The purpose a group name stands for, if it is one of Firebreak's names (says nothing of who created the group). */
export function purposeOfGroupName(name: string): GroupPurpose | undefined {
  const plain = GROUP_NAME_PATTERN.exec(name)?.[1];
  return plain === UNTRACK_GROUP_NAME ? 'untrack' : plain === ISOLATION_GROUP_NAME ? 'isolation' : undefined;
}
