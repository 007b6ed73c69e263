import { randomUUID } from 'node:crypto';
import type { TaskPushNotificationConfig } from '@a2a-js/sdk';
import type { PushNotificationStore, ServerCallContext, StoredPushNotificationConfig } from '@a2a-js/sdk/server';
import { DEFAULT_TASKS_KEPT } from './task-store.js';
import { pushUrlProblem } from './push-sender.js';

/**
 * A task's push notification configs, in memory, for as many tasks as the task store keeps (the
 * SDK's store never forgets one). A config whose URL is not http(s) is refused when it is set,
 * with `invalid(message)` — the SDK's invalid-params error — so the client hears why at once.
 * One bearer token guards a worker, so every caller sees every task's configs.
 */
export class BoundedPushStore implements PushNotificationStore {
  private readonly byTask = new Map<string, StoredPushNotificationConfig[]>();

  constructor(
    private readonly invalid: (message: string) => Error,
    private readonly fallbackVersion: string,
    private readonly limit = DEFAULT_TASKS_KEPT,
  ) {}

  async save(taskId: string, context: ServerCallContext, config: TaskPushNotificationConfig): Promise<void> {
    const problem = pushUrlProblem(config.url);
    if (problem) throw this.invalid(problem);
    // The SDK reads the id the store assigns through the object it passed in.
    if (!config.id) config.id = randomUUID();
    const kept = (this.byTask.get(taskId) ?? []).filter((stored) => stored.config.id !== config.id);
    kept.push({ config: structuredClone(config), wireVersion: context.requestedVersion || this.fallbackVersion });
    this.byTask.delete(taskId);
    this.byTask.set(taskId, kept);
    while (this.byTask.size > this.limit) {
      const oldest = this.byTask.keys().next().value;
      if (oldest === undefined) break;
      this.byTask.delete(oldest);
    }
  }

  async load(taskId: string, _context: ServerCallContext): Promise<TaskPushNotificationConfig[]> {
    return (this.byTask.get(taskId) ?? []).map((stored) => structuredClone(stored.config));
  }

  async loadWithMetadata(taskId: string, _context: ServerCallContext): Promise<StoredPushNotificationConfig[]> {
    return (this.byTask.get(taskId) ?? []).map((stored) => structuredClone(stored));
  }

  /** Deleting what is not there succeeds (A2A: delete is idempotent). */
  async delete(taskId: string, _context: ServerCallContext, configId: string = taskId): Promise<void> {
    const kept = (this.byTask.get(taskId) ?? []).filter((stored) => stored.config.id !== configId);
    if (kept.length > 0) this.byTask.set(taskId, kept);
    else this.byTask.delete(taskId);
  }
}
