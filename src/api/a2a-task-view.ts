import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Artifact, Message, Part, Task, TaskState } from '@a2a-js/sdk';
import type { TaskResult, TaskStatus } from '../protocol/task.js';

/** A2A task states (the SDK's enum values; its enums are types here, loaded lazily elsewhere). */
export const A2A_STATE = {
  submitted: 1 as TaskState,
  working: 2 as TaskState,
  completed: 3 as TaskState,
  failed: 4 as TaskState,
  canceled: 5 as TaskState,
  inputRequired: 6 as TaskState,
} as const;
const ROLE_USER = 1 as Message['role'];
const ROLE_AGENT = 2 as Message['role'];

/** Files above this come back as a note saying where they are, not inline. */
export const MAX_FILE_ARTIFACT_BYTES = 1024 * 1024;

/** What the endpoint remembers of a task sent over A2A (a `lightning run` task has none). */
export interface A2AOrigin {
  contextId: string;
  message: Message;
}

export function stateOf(status: TaskStatus): TaskState {
  switch (status) {
    case 'submitted':
    case 'waiting': // no healthy instance of its agent yet: acknowledged, not started
      return A2A_STATE.submitted;
    case 'running':
      return A2A_STATE.working;
    // A tool call waits for a person. A2A's own state for it; the answer comes from the person
    // through the control API (`lightning approve|deny`), never from a message over A2A.
    case 'awaiting-approval':
      return A2A_STATE.inputRequired;
    case 'completed':
      return A2A_STATE.completed;
    case 'cancelled':
      return A2A_STATE.canceled;
    case 'failed':
    case 'timeout':
    case 'interrupted':
      return A2A_STATE.failed;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** Lightning statuses an A2A state filter selects. */
export function statusesOf(state: TaskState): TaskStatus[] {
  switch (state) {
    case A2A_STATE.submitted:
      return ['submitted', 'waiting'];
    case A2A_STATE.working:
      return ['running'];
    case A2A_STATE.inputRequired:
      return ['awaiting-approval'];
    case A2A_STATE.completed:
      return ['completed'];
    case A2A_STATE.canceled:
      return ['cancelled'];
    case A2A_STATE.failed:
      return ['failed', 'timeout', 'interrupted'];
    default:
      return [];
  }
}

export function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

/** The agent's last word on a task: its answer, or why it did not end well. */
export function agentMessage(result: TaskResult, contextId: string): Message | undefined {
  const text = result.status === 'completed' ? (result.output ?? '') : (result.error ?? (result.status === 'cancelled' ? 'cancelled' : null));
  if (text === null) return undefined;
  return {
    messageId: `${result.id}-${result.status}`,
    contextId,
    taskId: result.id,
    role: ROLE_AGENT,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The user's message: the one sent over A2A, or the task's input for a task submitted otherwise. */
export function userMessage(result: TaskResult, origin: A2AOrigin | undefined): Message {
  if (origin) return origin.message;
  return {
    messageId: `${result.id}-input`,
    contextId: result.id,
    taskId: result.id,
    role: ROLE_USER,
    parts: [textPart(result.input)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** Who ran the task and what it cost: lightning's own record, in the task's metadata. */
export function lightningMetadata(result: TaskResult): Record<string, unknown> {
  const { agent, instance, status, attempts, durationMs, usage, files } = result;
  return { lightning: { agent, instance, status, attempts, durationMs, usage, files } };
}

/** A ledger task as an A2A task: status, answer and files as artifacts, history, metadata. */
export function toA2ATask(result: TaskResult, origin: A2AOrigin | undefined, workspacesDir: string | null): Task {
  const contextId = origin?.contextId ?? result.id;
  return {
    id: result.id,
    contextId,
    status: { state: stateOf(result.status), message: agentMessage(result, contextId), timestamp: result.finishedAt ?? result.submittedAt },
    artifacts: artifactsOf(result, workspacesDir),
    history: [userMessage(result, origin)],
    metadata: lightningMetadata(result),
  };
}

/** The answer (completed tasks) and each file the task wrote, one artifact each. */
export function artifactsOf(result: TaskResult, workspacesDir: string | null): Artifact[] {
  if (result.status !== 'completed') return [];
  const artifacts: Artifact[] = [
    { artifactId: `${result.id}-output`, name: 'output', description: 'the answer', parts: [textPart(result.output ?? '')], metadata: undefined, extensions: [] },
  ];
  // A team task's subtasks each add their result: the team is one task, its steps its artifacts.
  for (const step of result.steps ?? []) {
    if (step.role !== 'subtask' || step.subtask === null) continue;
    artifacts.push({
      artifactId: `${result.id}-subtask-${step.subtask}`, name: `subtask ${step.subtask}`, description: `what ${step.agent ?? 'its agent'} did: ${step.input.slice(0, 200)}`,
      parts: [textPart(step.output ?? '')], metadata: { subtask: step.subtask, taskId: step.id, agent: step.agent }, extensions: [],
    });
  }
  for (const file of result.files) artifacts.push(fileArtifact(result.id, file, workspacesDir));
  return artifacts;
}

function fileArtifact(taskId: string, file: string, workspacesDir: string | null): Artifact {
  const base = { artifactId: `${taskId}-file-${file}`, name: file, description: `file ${file} written by the task`, metadata: { path: file }, extensions: [] };
  const where = workspacesDir ? resolveInside(path.join(workspacesDir, taskId), file) : null;
  if (where === null) return { ...base, parts: [textPart(`${file} (not readable from the supervisor)`)] };
  let size: number;
  try {
    size = statSync(where).size;
  } catch {
    return { ...base, parts: [textPart(`${file} (no longer in the task's workspace)`)] };
  }
  if (size > MAX_FILE_ARTIFACT_BYTES) return { ...base, parts: [textPart(`${file}: ${size} bytes, over ${MAX_FILE_ARTIFACT_BYTES}; it is at ${where}`)] };
  const bytes = readFileSync(where);
  return { ...base, parts: [{ content: { $case: 'raw', value: bytes }, metadata: undefined, filename: path.basename(file), mediaType: mediaTypeOf(file) }] };
}

/** `file` under `dir`, or null if it would leave it (a worker's report is not trusted with paths). */
function resolveInside(dir: string, file: string): string | null {
  const resolved = path.resolve(dir, file);
  return resolved.startsWith(path.resolve(dir) + path.sep) ? resolved : null;
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.ts': 'text/plain',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.py': 'text/x-python',
  '.sh': 'text/x-shellscript',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
};

export function mediaTypeOf(file: string): string {
  return MEDIA_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
