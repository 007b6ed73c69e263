/** What an agent's model settings look like from the fleet's side: never the key itself. */
export interface ModelSettingsView {
  agent: string;
  /** False for `command:` and `url:` agents: they read the environment their own way. */
  builtIn: boolean;
  /** The endpoint as shown in messages (credentials masked), or null when none is configured. */
  endpoint: string | null;
  /** Where the endpoint comes from: provider.baseURL, OPENAI_BASE_URL, the OpenAI default. */
  source: string | null;
  keyEnv: string;
  keySet: boolean;
  /** Where the key's variable comes from. */
  keyFrom: '.env' | 'environment' | null;
  /** Why the agent cannot reach a model (the worker's own message), or null. */
  error: string | null;
}

/** `GET /v1/model-settings`: what the fleet's agents see of their model settings (`doctor` asks it). */
export interface ModelSettingsDocument {
  /** `.env` beside agents.yaml, and whether there is one. */
  file: string;
  present: boolean;
  agents: ModelSettingsView[];
}
