import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every relative import of a file, resolved to a path under src/ (`api/server.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((match) =>
    path.relative(SRC, path.resolve(path.dirname(file), match[1]!)).replace(/\.js$/, '.ts'),
  );
}

describe('src/tasks/ layering', () => {
  const files = readdirSync(path.join(SRC, 'tasks')).filter((name) => name.endsWith('.ts')).map((name) => path.join(SRC, 'tasks', name));

  it('imports nothing above it: api/, supervisor/, cli/, worker/ use tasks/, never the reverse', () => {
    expect(files.length).toBeGreaterThan(3);
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => /^(api|supervisor|cli|worker|daemon)\//.test(target))
        .map((target) => `${path.relative(SRC, file)} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('nothing below it imports tasks/ (router, ledger, config, protocol, util)', () => {
    const below = ['router', 'ledger', 'config', 'protocol', 'util'].flatMap((dir) =>
      readdirSync(path.join(SRC, dir)).filter((name) => name.endsWith('.ts')).map((name) => path.join(SRC, dir, name)),
    );
    const offenders = below.flatMap((file) => importsOf(file).filter((target) => target.startsWith('tasks/')).map((target) => `${path.relative(SRC, file)} → ${target}`));
    expect(offenders).toEqual([]);
  });
});
