/**
 * Letters, digits, `_` and `-`: `/` and `#` stay free for instance selectors (`web_developer/1`).
 * In a file of its own so the supervisor can check names without loading zod (~100 ms of start-up).
 */
export const AGENT_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
