import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';

/** Tasks a worker remembers for `tasks/get`; the SDK's InMemoryTaskStore never evicts (≈172 MB after 25k tasks). */
export const DEFAULT_TASKS_KEPT = 1000;

/**
 * An in-memory task store bounded to the most recently saved tasks. The ledger in the supervisor
 * is the durable record; this only serves `tasks/get` for recent work.
 */
export class BoundedTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly limit = DEFAULT_TASKS_KEPT) {}

  async save(task: Task, _context: ServerCallContext): Promise<void> {
    // Re-inserting moves the task to the newest end, so eviction drops the least recently saved.
    this.tasks.delete(task.id);
    this.tasks.set(task.id, task);
    while (this.tasks.size > this.limit) {
      const oldest = this.tasks.keys().next().value;
      if (oldest === undefined) break;
      this.tasks.delete(oldest);
    }
  }

  async load(taskId: string, _context: ServerCallContext): Promise<Task | undefined> {
    return this.tasks.get(taskId);
  }

  async list(params: ListTasksRequest, _context: ServerCallContext): Promise<ListTasksResponse> {
    const all = [...this.tasks.values()].reverse().filter((task) => !params.contextId || task.contextId === params.contextId);
    const pageSize = Math.min(Math.max(params.pageSize ?? 50, 1), 100);
    const start = Number.parseInt(params.pageToken || '0', 10) || 0;
    const tasks = all.slice(start, start + pageSize);
    const next = start + pageSize < all.length ? String(start + pageSize) : '';
    return { tasks, nextPageToken: next, pageSize, totalSize: all.length };
  }

  get size(): number {
    return this.tasks.size;
  }
}
