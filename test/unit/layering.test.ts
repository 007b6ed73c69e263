import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The layers, top to bottom: cli → api → tasks/supervisor → router/ledger/config → protocol/util.
 * A directory imports only from layers below its own (and from itself). The CLI's helpers
 * (doctor, export, scaffold, logs) sit between the CLI and the API; the worker is a process of its
 * own beside the supervisor; tasks/ is below the supervisor (which wires it to the fleet); state/
 * is at the level of config (both are files under the project the others read).
 */
const LAYERS: Record<string, number> = {
  cli: 6,
  doctor: 5,
  export: 5,
  scaffold: 5,
  logs: 5,
  api: 4,
  supervisor: 3,
  worker: 3,
  tasks: 2,
  router: 1,
  ledger: 1,
  config: 1,
  state: 1,
  protocol: 0,
  util: 0,
};
/** Siblings that may import each other (the cycle check still holds between them). */
const SIBLINGS_MAY_MEET = new Set([0, 1]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of a file (static, type-only, re-export or dynamic), as a path under src/. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)].map((match) =>
    path.relative(SRC, path.resolve(path.dirname(file), (match[1] ?? match[2])!)).replace(/\.js$/, '.ts'),
  );
}

/** Import edges that point up (or sideways between layers that may not meet). */
function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const layerOf = (file: string): number | undefined => LAYERS[file.split('/')[0]!];
  const offenders: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    for (const target of targets) {
      if (file.split('/')[0] === target.split('/')[0]) continue;
      const to = layerOf(target);
      if (from === undefined || to === undefined) offenders.push(`${file} → ${target} (a directory with no layer: add it to LAYERS)`);
      else if (to > from || (to === from && !SIBLINGS_MAY_MEET.has(from))) offenders.push(`${file} → ${target}`);
    }
  }
  return offenders;
}

/** Every import cycle between files, each as the files in it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('layering of src/', () => {
  const graph = new Map(sourceFiles(SRC).map((file) => [path.relative(SRC, file), importsOf(file)]));

  it('has every directory in a layer, and no import pointing up', () => {
    expect(graph.size).toBeGreaterThan(100);
    const dirs = new Set([...graph.keys()].map((file) => file.split('/')[0]!));
    expect([...dirs].filter((dir) => LAYERS[dir] === undefined)).toEqual([]);
    expect(upwardImports(graph)).toEqual([]);
  });

  it('has no import cycle, type-only or dynamic ones included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('catches what it is for: an upward import, a sideways one, and a cycle', () => {
    const bad = new Map<string, string[]>([
      ['supervisor/runtime.ts', ['api/server.ts']],
      ['api/server.ts', ['tasks/service.ts']],
      ['worker/main.ts', ['supervisor/spawn.ts']],
      ['config/load.ts', ['config/resolve.ts']],
      ['config/resolve.ts', ['config/load.ts']],
      ['router/router.ts', ['ledger/events.ts']],
    ]);
    expect(upwardImports(bad)).toEqual(['supervisor/runtime.ts → api/server.ts', 'worker/main.ts → supervisor/spawn.ts']);
    expect(cycles(bad)).toEqual([['config/load.ts', 'config/resolve.ts']]);
    const file = path.join(SRC, 'supervisor/x.ts');
    expect(importsOf(file, "import type { A } from '../api/a.js';\nconst b = await import('../cli/b.js');\nexport { c } from './c.js';")).toEqual([
      'api/a.ts',
      'cli/b.ts',
      'supervisor/c.ts',
    ]);
  });
});
