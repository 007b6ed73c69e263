/** How a worker started by hand joins a supervisor: register, renew the lease, leave on exit. */

export interface JoinOptions {
  /** The supervisor's control API, e.g. http://10.0.0.2:9000. */
  supervisor: string;
  token: string;
  /** Where the supervisor reaches this worker. */
  advertise: string;
  name: string;
  leaseMs: number;
  log(message: string): void;
}

export interface JoinHandle {
  /** Resolves after the first successful registration; rejects if the supervisor refuses it. */
  readonly joined: Promise<{ id: string }>;
  /** Stops the heartbeats and tells the supervisor we are leaving (best effort). */
  leave(): Promise<void>;
}

export class JoinRefusedError extends Error {}

/** One request's budget: a heartbeat must not outlive the gap to the next one. */
const REQUEST_TIMEOUT_MS = 3000;

/**
 * Registers now and again every third of the lease, so two lost heartbeats in a row still keep
 * the lease. A refusal on the first try (bad token, unreachable card) is fatal: the user is
 * there to read it. Later failures (the supervisor restarting, a network blip) are retried, and
 * the same request joins afresh a supervisor that forgot us.
 */
export function startJoining(options: JoinOptions): JoinHandle {
  const endpoint = `${options.supervisor.replace(/\/+$/, '')}/v1/agents/register`;
  const every = Math.max(250, Math.floor(options.leaseMs / 3));
  let timer: NodeJS.Timeout | null = null;
  let id: string | null = null;
  let stopped = false;
  let failing = false;
  let resolveJoined: (value: { id: string }) => void = () => undefined;
  let rejectJoined: (error: Error) => void = () => undefined;
  const joined = new Promise<{ id: string }>((resolve, reject) => {
    resolveJoined = resolve;
    rejectJoined = reject;
  });

  const beat = async (): Promise<void> => {
    const result = await register(endpoint, options);
    if (stopped) return;
    if (result.ok) {
      if (id === null) {
        options.log(`joined ${options.supervisor} as ${result.id} (advertised ${options.advertise}, lease ${options.leaseMs} ms)`);
        resolveJoined({ id: result.id });
      } else if (failing) {
        options.log(`heartbeats reach ${options.supervisor} again`);
      }
      id = result.id;
      failing = false;
    } else if (id === null && result.fatal) {
      stopped = true;
      rejectJoined(new JoinRefusedError(`could not join ${options.supervisor}: ${result.error}`));
      return;
    } else if (!failing) {
      failing = true;
      options.log(`heartbeat to ${options.supervisor} failed (${result.error}); retrying every ${every} ms`);
    }
    timer = setTimeout(() => void beat(), every);
  };
  void beat();

  return {
    joined,
    async leave() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (id === null) return;
      await fetch(`${endpoint}/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch(() => undefined);
    },
  };
}

type RegisterAnswer = { ok: true; id: string } | { ok: false; fatal: boolean; error: string };

async function register(endpoint: string, options: JoinOptions): Promise<RegisterAnswer> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ url: options.advertise, name: options.name, ttlMs: options.leaseMs }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: string; message?: string };
    if (response.ok && typeof body.id === 'string') return { ok: true, id: body.id };
    // 4xx: this request will never succeed as it is; 5xx: the supervisor may recover.
    return { ok: false, fatal: response.status < 500, error: `HTTP ${response.status}: ${body.message ?? 'no reason given'}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { ok: false, fatal: false, error: `${cause} (${endpoint})` };
  }
}
