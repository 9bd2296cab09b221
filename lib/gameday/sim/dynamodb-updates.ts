/**
 * DynamoDB update expressions applied to an item (SET, REMOVE, ADD, DELETE on document paths) and
 * projections (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
 */
import { cloneData } from './clone-data';
import { validationError } from './dynamodb-expressions';
import type { Path, UpdatePlan } from './dynamodb-expressions';
import { bytesEqual, evaluateOperand, normalizeNumber, resolvePath, sizeOf, typeOf } from './dynamodb-evaluation';
import type { SimulatedServiceError } from './errors';
import type { AttributeValue, Item } from './model';

function invalidPath(): SimulatedServiceError {
  return validationError('The document path provided in the update expression is invalid for update');
}

function setPath(item: Item, path: Path, value: AttributeValue): void {
  const [first, ...rest] = path;
  if (!first || first.kind !== 'name') throw invalidPath();
  if (rest.length === 0) {
    item[first.name] = value;
    return;
  }
  const container = item[first.name];
  if (container === undefined) throw invalidPath();
  item[first.name] = setInside(container, rest, value);
}

function setInside(container: AttributeValue, path: Path, value: AttributeValue): AttributeValue {
  const [head, ...rest] = path;
  if (!head) return value;
  if (head.kind === 'name') {
    if (!('M' in container)) throw invalidPath();
    const child = container.M[head.name];
    if (rest.length > 0 && child === undefined) throw invalidPath();
    return { M: { ...container.M, [head.name]: rest.length === 0 ? value : setInside(child as AttributeValue, rest, value) } };
  }
  if (!('L' in container)) throw invalidPath();
  const list = [...container.L];
  if (rest.length === 0) {
    // An index past the end appends, as DynamoDB does.
    if (head.index >= list.length) list.push(value);
    else list[head.index] = value;
  } else {
    const child = list[head.index];
    if (child === undefined) throw invalidPath();
    list[head.index] = setInside(child, rest, value);
  }
  return { L: list };
}

function removePath(item: Item, path: Path): void {
  const [first, ...rest] = path;
  if (!first || first.kind !== 'name') throw invalidPath();
  if (rest.length === 0) {
    delete item[first.name];
    return;
  }
  const container = item[first.name];
  if (container === undefined) return;
  item[first.name] = removeInside(container, rest);
}

function removeInside(container: AttributeValue, path: Path): AttributeValue {
  const [head, ...rest] = path;
  if (!head) return container;
  if (head.kind === 'name') {
    if (!('M' in container)) return container;
    const map = { ...container.M };
    if (rest.length === 0) delete map[head.name];
    else if (map[head.name] !== undefined) map[head.name] = removeInside(map[head.name] as AttributeValue, rest);
    return { M: map };
  }
  if (!('L' in container)) return container;
  const list = [...container.L];
  if (rest.length === 0) list.splice(head.index, 1);
  else if (list[head.index] !== undefined) list[head.index] = removeInside(list[head.index] as AttributeValue, rest);
  return { L: list };
}

/**
 * Applies an update to a copy of `item`. Every right-hand side is evaluated against the item as it
 * was before the update, as DynamoDB does.
 */
export function applyUpdate(item: Item, plan: UpdatePlan): Item {
  const before = item;
  const after: Item = cloneData(item);
  const sets = plan.set.map((action) => {
    const value = evaluateOperand(action.value, before);
    if (value === undefined) throw validationError('The provided expression refers to an attribute that does not exist in the item');
    return { path: action.path, value };
  });
  for (const { path, value } of sets) setPath(after, path, value);
  for (const path of plan.remove) removePath(after, path);
  for (const action of plan.add) {
    const value = evaluateOperand(action.value, before);
    const current = resolvePath(before, action.path);
    if (value === undefined) throw validationError('The provided expression refers to an attribute that does not exist in the item');
    let next: AttributeValue;
    if ('N' in value) {
      if (current !== undefined && !('N' in current)) throw validationError('An operand in the update expression has an incorrect data type');
      next = { N: normalizeNumber(String(Number(current && 'N' in current ? current.N : '0') + Number(value.N))) };
    } else if ('SS' in value || 'NS' in value || 'BS' in value) {
      if (current !== undefined && typeOf(current) !== typeOf(value)) throw validationError('An operand in the update expression has an incorrect data type');
      next = unionSets(current, value);
    } else {
      throw validationError(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(value)}`);
    }
    setPath(after, action.path, next);
  }
  for (const action of plan.delete) {
    const value = evaluateOperand(action.value, before);
    const current = resolvePath(before, action.path);
    if (value === undefined || !('SS' in value || 'NS' in value || 'BS' in value)) {
      throw validationError(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${value ? typeOf(value) : 'NULL'}`);
    }
    if (current === undefined) continue;
    if (typeOf(current) !== typeOf(value)) throw validationError('An operand in the update expression has an incorrect data type');
    const remaining = subtractSets(current, value);
    if (remaining === undefined) removePath(after, action.path);
    else setPath(after, action.path, remaining);
  }
  return after;
}

function unionSets(current: AttributeValue | undefined, added: AttributeValue): AttributeValue {
  if ('SS' in added) return { SS: [...new Set([...(current && 'SS' in current ? current.SS : []), ...added.SS])] };
  if ('NS' in added) {
    const existing = current && 'NS' in current ? current.NS : [];
    return { NS: [...existing, ...added.NS.filter((n) => !existing.some((e) => Number(e) === Number(n)))] };
  }
  if ('BS' in added) {
    const existing = current && 'BS' in current ? current.BS : [];
    return { BS: [...existing, ...added.BS.filter((b) => !existing.some((e) => bytesEqual(e, b)))] };
  }
  return added;
}

function subtractSets(current: AttributeValue, removed: AttributeValue): AttributeValue | undefined {
  let out: AttributeValue;
  if ('SS' in current && 'SS' in removed) out = { SS: current.SS.filter((s) => !removed.SS.includes(s)) };
  else if ('NS' in current && 'NS' in removed) out = { NS: current.NS.filter((n) => !removed.NS.some((r) => Number(r) === Number(n))) };
  else if ('BS' in current && 'BS' in removed) out = { BS: current.BS.filter((b) => !removed.BS.some((r) => bytesEqual(r, b))) };
  else return current;
  return sizeOf(out) === 0 ? undefined : out;
}

/** The attributes of `item` named by a projection, nested maps kept as nested maps. */
export function project(item: Item, paths: readonly Path[]): Item {
  const out: Item = {};
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (value === undefined) continue;
    const names = path.filter((e): e is { kind: 'name'; name: string } => e.kind === 'name');
    if (names.length !== path.length || names.length === 1) {
      // Top-level attribute (or a path through a list): keep the whole top-level attribute.
      const top = path[0];
      if (top?.kind === 'name' && item[top.name] !== undefined) out[top.name] = item[top.name] as AttributeValue;
      continue;
    }
    const [first, ...rest] = names;
    if (!first) continue;
    let container = out[first.name];
    const build = (node: AttributeValue | undefined, remaining: typeof names): AttributeValue => {
      const [head, ...tail] = remaining;
      if (!head) return value;
      const map = node && 'M' in node ? { ...node.M } : {};
      map[head.name] = build(map[head.name], tail);
      return { M: map };
    };
    container = build(container, rest);
    out[first.name] = container;
  }
  return out;
}
