import { timingSafeEqual } from 'node:crypto';
import type { ApprovalAnswer, ApprovalDecisionMessage, ApprovalVerdict } from '../../protocol/task.js';

interface Waiting {
  taskId: string;
  key: Buffer;
  settle(answer: ApprovalAnswer | null): void;
}

/**
 * The tool calls of one worker's tasks that wait for a person's decision. The decision comes from
 * the supervisor only: it must name the waiting task and carry the attempt's approval key, which
 * the supervisor put in that task's own metadata — another agent holding the worker token knows
 * neither. A wait ends with the decision, the task's cancel (null), or, should the supervisor be
 * gone, `timeoutMs` (denied as a timeout).
 */
export class ApprovalWaits {
  private readonly waiting = new Map<string, Waiting>();

  get size(): number {
    return this.waiting.size;
  }

  wait(taskId: string, id: string, key: string, signal: AbortSignal, timeoutMs: number): Promise<ApprovalAnswer | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const settle = (answer: ApprovalAnswer | null): void => {
        if (!this.waiting.delete(id)) return;
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const onAbort = (): void => settle(null);
      this.waiting.set(id, { taskId, key: Buffer.from(key), settle });
      if (signal.aborted) return settle(null);
      signal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => settle({ verdict: 'timeout', note: 'no decision reached this worker in time' }), timeoutMs);
    });
  }

  /** Applies a decision for a call of task `taskId` (the worker's A2A task id). */
  decide(taskId: string, decision: ApprovalDecisionMessage): 'decided' | 'not-waiting' | 'refused' {
    const waiting = this.waiting.get(decision.id);
    if (!waiting) return 'not-waiting';
    const key = Buffer.from(String(decision.key));
    if (waiting.taskId !== taskId || key.length !== waiting.key.length || !timingSafeEqual(key, waiting.key)) return 'refused';
    const verdict: ApprovalVerdict = decision.verdict === 'approved' ? 'approved' : decision.verdict === 'timeout' ? 'timeout' : 'denied';
    waiting.settle({ verdict, note: typeof decision.note === 'string' ? decision.note : null });
    return 'decided';
  }
}
