import type { StreamResponse, Task } from '@a2a-js/sdk';
import type {
  PushNotificationSender,
  PushNotificationSerializer,
  PushNotificationStore,
  ServerCallContext,
  StoredPushNotificationConfig,
} from '@a2a-js/sdk/server';
import { PUSH_DELIVERY } from '../../config/defaults.js';
import { isHttpUrl } from '../../util/url.js';

export interface PushDeliveryOptions {
  timeoutMs: number;
  /** Tries per notification, the first included. */
  attempts: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Injected so tests can run the backoff in virtual time. */
  sleep: (ms: number) => Promise<void>;
  fetch: typeof fetch;
  log: (line: string) => void;
}

/** Why one webhook POST did not land, and whether trying again can help. */
export type DeliveryFailure =
  | { reason: 'bad_url'; retryable: false }
  | { reason: 'http_status'; status: number; retryable: boolean }
  | { reason: 'network'; message: string; retryable: true };

/** A2A 1.0's header for a config's bare `token` (no `authentication`). */
export const NOTIFICATION_TOKEN_HEADER = 'X-A2A-Notification-Token';

const defaultOptions = (): PushDeliveryOptions => ({
  ...PUSH_DELIVERY,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  fetch: (input, init) => fetch(input, init),
  log: (line) => console.log(line),
});

/**
 * Delivers a task's updates to the webhooks its push configs name: one POST per update and
 * webhook, in the order the updates happened (a task's POSTs wait for its earlier ones), with the
 * config's credentials — `authentication` as `Authorization: <scheme> <credentials>`, a bare
 * `token` as X-A2A-Notification-Token. A failed POST is tried again with exponential backoff, a
 * bounded number of times; then that update is dropped with one log line. A POST goes only to the
 * http(s) URL the task's own config holds, and redirects are not followed.
 */
export class WebhookPushSender implements PushNotificationSender {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly options: PushDeliveryOptions;

  constructor(
    private readonly store: PushNotificationStore,
    private readonly serializers: Record<string, PushNotificationSerializer>,
    private readonly fallbackVersion: string,
    options: Partial<PushDeliveryOptions> = {},
  ) {
    this.options = { ...defaultOptions(), ...options };
  }

  async send(streamResponse: StreamResponse, context: ServerCallContext, task?: Task): Promise<void> {
    const taskId = taskIdOf(streamResponse);
    if (!taskId) return;
    const configs = await this.configsOf(taskId, context);
    if (configs.length === 0) return;
    const previous = this.chains.get(taskId) ?? Promise.resolve();
    // One update's trouble (say, a serializer that throws) must not stop the task's later updates.
    const next = previous
      .catch(() => undefined)
      .then(() => Promise.all(configs.map((stored) => this.deliver(streamResponse, stored, taskId, task))).then(() => undefined));
    this.chains.set(taskId, next);
    await next;
    if (this.chains.get(taskId) === next) this.chains.delete(taskId);
  }

  private async configsOf(taskId: string, context: ServerCallContext): Promise<StoredPushNotificationConfig[]> {
    if (this.store.loadWithMetadata) return this.store.loadWithMetadata(taskId, context);
    const version = context.requestedVersion || this.fallbackVersion;
    return (await this.store.load(taskId, context)).map((config) => ({ config, wireVersion: version }));
  }

  private async deliver(streamResponse: StreamResponse, stored: StoredPushNotificationConfig, taskId: string, task: Task | undefined): Promise<void> {
    const { config } = stored;
    const serializer = this.serializers[stored.wireVersion] ?? this.serializers[this.fallbackVersion];
    if (!serializer) return;
    const { body, contentType } = serializer.serialize(streamResponse, task);
    const headers: Record<string, string> = { 'content-type': contentType };
    if (config.authentication?.scheme && config.authentication.credentials) {
      headers.authorization = `${config.authentication.scheme} ${config.authentication.credentials}`;
    } else if (config.token) {
      headers[NOTIFICATION_TOKEN_HEADER] = config.token;
    }
    const failure = await postWithRetry(config.url, headers, body, this.options);
    if (failure) this.options.log(`push notification for task ${taskId} to ${describeUrl(config.url)} dropped: ${describeFailure(failure)}`);
  }
}

/** POSTs until a 2xx, a failure that retrying cannot fix, or the attempts are spent; null when delivered. */
export async function postWithRetry(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PushDeliveryOptions,
): Promise<DeliveryFailure | null> {
  if (!isHttpUrl(url)) return { reason: 'bad_url', retryable: false };
  let delay = options.initialDelayMs;
  let failure: DeliveryFailure | null = null;
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    failure = await postOnce(url, headers, body, options);
    if (!failure || !failure.retryable || attempt === options.attempts) return failure;
    await options.sleep(delay);
    delay = Math.min(delay * options.factor, options.maxDelayMs);
  }
  return failure;
}

async function postOnce(url: string, headers: Record<string, string>, body: string, options: PushDeliveryOptions): Promise<DeliveryFailure | null> {
  try {
    const response = await options.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return null;
    const status = response.status;
    return { reason: 'http_status', status, retryable: status === 408 || status === 429 || status >= 500 };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { reason: 'network', message: cause ?? (error as Error).name, retryable: true };
  }
}

/** Validates a push config's URL where it is set, so a bad one is refused to the client at once. */
export function pushUrlProblem(url: unknown): string | null {
  if (typeof url !== 'string' || !url) return 'push notification config needs a url';
  if (!isHttpUrl(url)) return `push notification url must be an http:// or https:// URL, not ${JSON.stringify(url.slice(0, 100))}`;
  return null;
}

function taskIdOf(streamResponse: StreamResponse): string {
  const payload = streamResponse.payload;
  if (!payload) return '';
  return payload.$case === 'task' ? payload.value.id : payload.value.taskId;
}

/** Scheme, host and path only: a webhook's query string may carry a secret. */
function describeUrl(url: string): string {
  if (!URL.canParse(url)) return '(an invalid URL)';
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function describeFailure(failure: DeliveryFailure): string {
  switch (failure.reason) {
    case 'bad_url':
      return 'not an http(s) URL';
    case 'http_status':
      return `HTTP ${failure.status}`;
    case 'network':
      return failure.message;
    default: {
      const unreachable: never = failure;
      return unreachable;
    }
  }
}
