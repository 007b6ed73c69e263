import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';

/** Tasks a worker remembers for `tasks/get`; the SDK's InMemoryTaskStore never evicts (≈172 MB after 25k tasks). */
export const DEFAULT_TASKS_KEPT = 1000;
/** ListTasks pages: A2A's default size, and its ceiling. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
const TOKEN_PREFIX = 'after:';

/**
 * An in-memory task store bounded to the most recently saved tasks. The ledger in the supervisor
 * is the durable record; this only serves `GetTask`/`ListTasks` for recent work.
 *
 * ListTasks lists the most recently updated first and pages with a cursor: every save stamps the
 * task with a rising sequence number, and a page token means "updated before #n". A task updated
 * while a client pages moves to the front (a new listing shows it); every other task appears
 * exactly once across the pages, however many tasks arrive meanwhile.
 */
export class BoundedTaskStore implements TaskStore {
  /** Insertion order is update order: a save deletes and re-adds. */
  private readonly tasks = new Map<string, { task: Task; sequence: number }>();
  private sequence = 0;

  constructor(
    /** The SDK's invalid-params error, for a page token this store did not hand out. */
    private readonly invalid: (message: string) => Error = (message) => new Error(message),
    private readonly limit = DEFAULT_TASKS_KEPT,
  ) {}

  async save(task: Task, _context: ServerCallContext): Promise<void> {
    this.tasks.delete(task.id);
    this.tasks.set(task.id, { task, sequence: ++this.sequence });
    while (this.tasks.size > this.limit) {
      const oldest = this.tasks.keys().next().value;
      if (oldest === undefined) break;
      this.tasks.delete(oldest);
    }
  }

  async load(taskId: string, _context: ServerCallContext): Promise<Task | undefined> {
    return this.tasks.get(taskId)?.task;
  }

  async list(params: ListTasksRequest, _context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = Math.min(Math.max(params.pageSize ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    const before = params.pageToken ? this.decodeToken(params.pageToken) : Number.POSITIVE_INFINITY;
    const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : null;
    const matching = [...this.tasks.values()].reverse().filter(({ task }) =>
      (!params.contextId || task.contextId === params.contextId) &&
      (!params.status || task.status?.state === params.status) &&
      (after === null || Date.parse(task.status?.timestamp ?? '') > after));
    const rest = matching.filter((entry) => entry.sequence < before);
    const page = rest.slice(0, pageSize);
    const last = page.at(-1);
    return {
      tasks: page.map(({ task }) => (params.includeArtifacts ? task : { ...task, artifacts: [] })),
      nextPageToken: rest.length > pageSize && last ? encodeToken(last.sequence) : '',
      pageSize,
      totalSize: matching.length,
    };
  }

  get size(): number {
    return this.tasks.size;
  }

  private decodeToken(token: string): number {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const sequence = text.startsWith(TOKEN_PREFIX) ? Number(text.slice(TOKEN_PREFIX.length)) : Number.NaN;
    if (!Number.isSafeInteger(sequence) || sequence < 1) throw this.invalid(`invalid pageToken ${JSON.stringify(token.slice(0, 64))}: pass the nextPageToken of the previous page`);
    return sequence;
  }
}

function encodeToken(sequence: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${sequence}`, 'utf8').toString('base64url');
}
