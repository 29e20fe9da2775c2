import {
  Kind,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

const memo = new WeakMap<OperationDefinitionNode, ReadonlySet<string>>();

/**
 * Every field name the operation selects anywhere (fragments included), once per parsed
 * operation. A list reads only the columns behind names that appear: what no part of the
 * operation asks for, no resolver of this request reads. Over-inclusive on purpose (a name
 * counts on any type), which only ever reads a column more.
 */
export function selectedNames(info: GraphQLResolveInfo): ReadonlySet<string> {
  let names = memo.get(info.operation);
  if (names) return names;
  const found = new Set<string>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        found.add(s.name.value);
        if (s.selectionSet) visit(s.selectionSet, seen);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, seen);
      } else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = info.fragments[s.name.value];
        if (fragment) visit(fragment.selectionSet, seen);
      }
    }
  };
  visit(info.operation.selectionSet, new Set());
  names = found;
  memo.set(info.operation, names);
  return names;
}
