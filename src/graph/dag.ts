import toposort from 'toposort';
import { SparkifyError } from '../core/errors.js';
import type { Manifest } from './types.js';

/** unique_ids with every parent before its children; a cycle is an error naming each node on it. */
export function topoOrder(manifest: Manifest): string[] {
  const edges: [string, string][] = [];
  for (const [child, parents] of manifest.parent_map) for (const p of parents) edges.push([p, child]);
  try {
    return toposort.array([...manifest.nodes.keys()].sort(), edges);
  } catch {
    const cycle = findCycle(manifest);
    const names = cycle.map((id) => manifest.nodes.get(id)!);
    throw new SparkifyError(`dependency cycle: ${names.map((n) => n.name).join(' -> ')} -> ${names[0]!.name} (each feeds the next)`, {
      location: { file: names[0]!.original_file_path, line: 1, column: 0 },
      hint: `Every node on the cycle: ${names.map((n) => n.original_file_path).join(', ')}. Remove one of these ref()s.`,
    });
  }
}

function findCycle(manifest: Manifest): string[] {
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const child of manifest.child_map.get(id) ?? []) {
      if (state.get(child) === 1) return stack.slice(stack.indexOf(child));
      if (!state.has(child)) {
        const found = visit(child);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of [...manifest.nodes.keys()].sort()) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return [];
}

/** Every ancestor of `id` (not including itself). */
export function ancestors(manifest: Manifest, id: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(manifest.parent_map.get(id) ?? [])];
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    todo.push(...(manifest.parent_map.get(p) ?? []));
  }
  return seen;
}
