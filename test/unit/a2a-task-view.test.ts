import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { A2A_STATE, MAX_FILE_ARTIFACT_BYTES, stateOf, statusesOf, toA2ATask } from '../../src/api/a2a-task-view.js';
import type { TaskResult, TaskStatus } from '../../src/protocol/task.js';

function result(overrides: Partial<TaskResult> = {}): TaskResult {
  return {
    id: 'task-1',
    agent: 'general_assistant',
    instance: 0,
    status: 'completed',
    input: 'Say hi',
    output: 'hi',
    error: null,
    attempts: [],
    durationMs: 12,
    usage: null,
    files: [],
    submittedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    routing: null,
    waiting: null,
    ...overrides,
  };
}

describe('a ledger task as an A2A task', () => {
  it('maps every lightning status to an A2A state, and each A2A filter back', () => {
    const all: TaskStatus[] = ['submitted', 'running', 'completed', 'failed', 'cancelled', 'timeout', 'interrupted'];
    expect(all.map(stateOf)).toEqual([A2A_STATE.submitted, A2A_STATE.working, A2A_STATE.completed, A2A_STATE.failed, A2A_STATE.canceled, A2A_STATE.failed, A2A_STATE.failed]);
    for (const status of all) expect(statusesOf(stateOf(status))).toContain(status);
    expect(statusesOf(0 as never)).toEqual([]);
  });

  it('a completed task: the answer as the output artifact and final message, the input as history, lightning metadata', () => {
    const task = toA2ATask(result(), undefined, null);
    expect(task).toMatchObject({ id: 'task-1', contextId: 'task-1', metadata: { lightning: { agent: 'general_assistant', instance: 0 } } });
    expect(task.status?.state).toBe(A2A_STATE.completed);
    expect(task.status?.message?.parts[0]?.content).toEqual({ $case: 'text', value: 'hi' });
    expect(task.artifacts.map((artifact) => artifact.name)).toEqual(['output']);
    expect(task.history[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'Say hi' });
  });

  it('a failed task: no artifacts, the error as the status message', () => {
    const task = toA2ATask(result({ status: 'timeout', output: null, error: 'timed out after 5 ms' }), undefined, null);
    expect(task.status?.state).toBe(A2A_STATE.failed);
    expect(task.artifacts).toEqual([]);
    expect(task.status?.message?.parts[0]?.content).toEqual({ $case: 'text', value: 'timed out after 5 ms' });
  });

  it('files come back with their bytes; a large one by path; one outside the workspace never', () => {
    const workspaces = mkdtempSync(path.join(os.tmpdir(), 'a2a-view-'));
    mkdirSync(path.join(workspaces, 'task-1', 'site'), { recursive: true });
    writeFileSync(path.join(workspaces, 'task-1', 'site', 'index.html'), '<h1>hi</h1>');
    writeFileSync(path.join(workspaces, 'task-1', 'big.bin'), Buffer.alloc(MAX_FILE_ARTIFACT_BYTES + 1));
    writeFileSync(path.join(workspaces, 'secret.txt'), 'not yours');
    const task = toA2ATask(result({ files: ['site/index.html', 'big.bin', '../secret.txt'] }), undefined, workspaces);
    const [, html, big, outside] = task.artifacts;
    expect(html?.parts[0]).toMatchObject({ filename: 'index.html', mediaType: 'text/html' });
    expect(html?.parts[0]?.content?.$case === 'raw' && Buffer.from(html.parts[0].content.value).toString()).toBe('<h1>hi</h1>');
    expect(big?.parts[0]?.content).toEqual({ $case: 'text', value: expect.stringContaining(`over ${MAX_FILE_ARTIFACT_BYTES}`) });
    expect(outside?.parts[0]?.content).toEqual({ $case: 'text', value: '../secret.txt (not readable from the supervisor)' });
  });
});
