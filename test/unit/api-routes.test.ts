import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROUTES, allowedMethods, routePath } from '../../src/protocol/api-routes.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

describe('the control API route table', () => {
  it('builds paths with encoded parameters and queries', () => {
    expect(routePath('getTask', { id: 'a/b c' })).toBe('/v1/tasks/a%2Fb%20c');
    expect(routePath('listTasks', {}, { limit: 20, status: undefined })).toBe('/v1/tasks?limit=20');
    expect(routePath('listTasks', {}, { limit: 5, status: 'failed' })).toBe('/v1/tasks?limit=5&status=failed');
    expect(routePath('restart', { agent: 'web_developer' })).toBe('/v1/agents/web_developer/restart');
    expect(() => routePath('cancelTask')).toThrow('route cancelTask needs :id');
  });

  it('says which methods a path takes (the 405 Allow header), and null for no route', () => {
    expect(allowedMethods('/v1/tasks')).toEqual(['GET', 'POST']);
    expect(allowedMethods('/v1/tasks/abc')).toEqual(['GET']);
    expect(allowedMethods('/v1/tasks/abc/cancel')).toEqual(['POST']);
    expect(allowedMethods('/v1/agents/register/x/heartbeat')).toEqual(['POST']);
    expect(allowedMethods('/v1/agents')).toEqual(['GET']);
    expect(allowedMethods('/v1/nothing')).toBeNull();
    expect(allowedMethods('/v1/tasks/')).toBeNull();
  });

  it('is the only place the CLI gets a path from: no command writes /v1/… itself', () => {
    const literal = sourceFiles(path.join(SRC, 'cli'))
      .concat(sourceFiles(path.join(SRC, 'doctor')))
      .filter((file) => /['"`]\/v1\//.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(literal).toEqual([]);
    expect(Object.keys(API_ROUTES).length).toBeGreaterThan(20);
  });
});
