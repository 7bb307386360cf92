import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const DOMAIN = path.resolve(__dirname, '../../src/domain');

/** Every .ts file under the domain, as paths relative to it without the extension. */
function domainModules(dir = DOMAIN): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return domainModules(full);
    return entry.name.endsWith('.ts') ? [path.relative(DOMAIN, full).slice(0, -'.ts'.length)] : [];
  });
}

/** The domain modules one module imports or re-exports (type-only imports included: they still tie the files). */
function importsOf(module: string, modules: Set<string>): string[] {
  const text = readFileSync(path.join(DOMAIN, `${module}.ts`), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.relative(DOMAIN, path.resolve(path.dirname(path.join(DOMAIN, module)), name)))
    .map((name) => (modules.has(name) ? name : name.replace(/\/index$/, '')))
    .filter((name) => modules.has(name));
}

function importGraph(): Map<string, string[]> {
  const modules = new Set(domainModules());
  return new Map([...modules].sort().map((m) => [m, importsOf(m, modules)]));
}

/** The import circles: strongly connected components of more than one module, or a module importing itself. */
function importCircles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)!.includes(node)) circles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return circles;
}

describe('the domain reads bottom-up', () => {
  it('finds a circle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['e']],
    ]);
    expect(importCircles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('has no import circle among the files of src/domain', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(20);
    expect(importCircles(graph)).toEqual([]);
  });
});
