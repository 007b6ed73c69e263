import { A2A_RPC_PATH, AGENT_CARD_PATH } from './agent-card.js';

/**
 * The control API's routes, the one table of them: the server answers a known path with a wrong
 * method by it (405 with Allow), and the API client builds every request of the CLI from it.
 * `:name` segments are parameters, percent-encoded by routePath().
 */
export const API_ROUTES = {
  healthz: { method: 'GET', path: '/healthz' },
  metrics: { method: 'GET', path: '/metrics' },
  login: { method: 'GET', path: '/login' },
  dashboard: { method: 'GET', path: '/' },
  agentCard: { method: 'GET', path: AGENT_CARD_PATH },
  a2a: { method: 'POST', path: A2A_RPC_PATH },
  status: { method: 'GET', path: '/v1/agents' },
  modelSettings: { method: 'GET', path: '/v1/model-settings' },
  dashboardLogin: { method: 'POST', path: '/v1/dashboard/login' },
  reload: { method: 'POST', path: '/v1/reload' },
  shutdown: { method: 'POST', path: '/v1/shutdown' },
  restart: { method: 'POST', path: '/v1/agents/:agent/restart' },
  stop: { method: 'POST', path: '/v1/agents/:agent/stop' },
  start: { method: 'POST', path: '/v1/agents/:agent/start' },
  register: { method: 'POST', path: '/v1/agents/register' },
  heartbeat: { method: 'POST', path: '/v1/agents/register/:id/heartbeat' },
  leave: { method: 'DELETE', path: '/v1/agents/register/:id' },
  listTasks: { method: 'GET', path: '/v1/tasks' },
  submitTask: { method: 'POST', path: '/v1/tasks' },
  getTask: { method: 'GET', path: '/v1/tasks/:id' },
  cancelTask: { method: 'POST', path: '/v1/tasks/:id/cancel' },
  feedback: { method: 'POST', path: '/v1/tasks/:id/feedback' },
  approveTask: { method: 'POST', path: '/v1/tasks/:id/approve' },
  denyTask: { method: 'POST', path: '/v1/tasks/:id/deny' },
  events: { method: 'GET', path: '/v1/events' },
  route: { method: 'POST', path: '/v1/route' },
  stats: { method: 'GET', path: '/v1/stats' },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'DELETE'; path: string }>;

export type ApiRouteName = keyof typeof API_ROUTES;

/** A route's path with its `:parameters` filled in (percent-encoded), and an optional query. */
export function routePath(name: ApiRouteName, params: Record<string, string> = {}, query: Record<string, string | number | undefined> = {}): string {
  const path = API_ROUTES[name].path.replace(/:([a-z]+)/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name} needs :${key}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

const PATTERNS = Object.values(API_ROUTES).map(({ method, path }) => ({
  method,
  pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/:[a-z]+/g, '[^/]+')}$`),
}));

/** The methods the API answers on `path` (null: no such route): for 405 and its Allow header. */
export function allowedMethods(path: string): string[] | null {
  const methods = [...new Set(PATTERNS.filter(({ pattern }) => pattern.test(path)).map(({ method }) => method))];
  return methods.length > 0 ? methods : null;
}
