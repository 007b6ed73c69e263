import { SECRET_VARIABLE_PATTERN } from './defaults.js';
import { readDotEnv } from './dotenv.js';
import type { DotEnv } from './dotenv.js';
import { resolveEndpoint } from './model-endpoint.js';
import { routesOf } from './types.js';
import type { AgentConfig, LightningConfig } from './types.js';
import type { ModelSettingsView } from '../protocol/model-settings.js';

/**
 * The environment the fleet's agents get: the supervisor's own (fixed when it started) with `.env`
 * beside agents.yaml over it — `.env` wins, since it is the one that can change while the fleet
 * runs. `refresh()` re-reads `.env` when it changed (at reload and at every instance restart).
 */
export class FleetEnvironment {
  private dotenv: DotEnv;

  constructor(
    private readonly configPath: string,
    private readonly base: NodeJS.ProcessEnv = process.env,
  ) {
    this.dotenv = readDotEnv(configPath);
  }

  get file(): string {
    return this.dotenv.file;
  }

  get present(): boolean {
    return this.dotenv.present;
  }

  /** `.env`'s variables as last read. */
  get values(): Readonly<Record<string, string>> {
    return this.dotenv.values;
  }

  /** Re-reads `.env` if its stamp changed; true when its variables did. Throws DotEnvError. */
  refresh(): boolean {
    const next = readDotEnv(this.configPath);
    if (next.stamp === this.dotenv.stamp) return false;
    const changed = JSON.stringify(next.values) !== JSON.stringify(this.dotenv.values);
    this.dotenv = next;
    return changed;
  }

  /** One variable as the agents see it. */
  get(name: string): string | undefined {
    return this.dotenv.values[name] ?? this.base[name];
  }

  /** The whole environment as the agents see it (before each agent's own `env:`). */
  merged(): NodeJS.ProcessEnv {
    return { ...this.base, ...this.dotenv.values };
  }

  /** `.env`'s variables that reach `agent` (its own `env:` overrides them), for telling what a change touches. */
  reaching(agent: AgentConfig, values: Readonly<Record<string, string>> = this.dotenv.values): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) if (!(key in agent.env)) out[key] = value;
    return out;
  }

  /**
   * Values that must never leave the supervisor: every agent's key variable and token variable,
   * and any `.env` variable whose name says it is a secret (…KEY, …TOKEN, …SECRET, …PASSWORD).
   */
  secretValues(config: LightningConfig): string[] {
    const names = new Set<string>();
    for (const agent of config.agents) {
      for (const route of routesOf(agent)) names.add(route.apiKeyEnv);
      if (agent.tokenEnv) names.add(agent.tokenEnv);
    }
    for (const key of Object.keys(this.dotenv.values)) if (SECRET_VARIABLE_PATTERN.test(key)) names.add(key);
    return [...names].map((name) => this.get(name)).filter((value): value is string => typeof value === 'string' && value !== '');
  }

  /** Which agents have a model endpoint and a key, as their workers would see it. */
  modelSettings(config: LightningConfig): ModelSettingsView[] {
    const env = this.merged();
    return config.agents.map((agent) => {
      const builtIn = agent.command === null && agent.url === null;
      const agentEnv: NodeJS.ProcessEnv = { ...env, ...agent.env, ...(agent.provider.baseURL ? { OPENAI_BASE_URL: agent.provider.baseURL } : {}) };
      const keyEnv = agent.provider.apiKeyEnv;
      const keySet = Boolean(agentEnv[keyEnv]?.trim());
      const keyFrom = !keySet ? null : keyEnv in agent.env ? 'environment' : this.dotenv.values[keyEnv]?.trim() ? '.env' : 'environment';
      const resolved = resolveEndpoint(agent, agentEnv);
      if (!resolved.ok) return { agent: agent.name, builtIn, endpoint: null, source: null, keyEnv, keySet, keyFrom, error: resolved.error };
      const source = agent.provider.baseURL ? 'provider.baseURL' : agentEnv.OPENAI_BASE_URL?.trim() ? `OPENAI_BASE_URL${this.dotenv.values.OPENAI_BASE_URL?.trim() ? ' (.env)' : ''}` : 'the OpenAI default';
      return { agent: agent.name, builtIn, endpoint: resolved.endpoint.display, source, keyEnv, keySet, keyFrom, error: null };
    });
  }
}
