/**
 * undici, loaded at the first task (or alert webhook) rather than at start: it is the largest module the
 * supervisor would otherwise load, before spawning its fleet and for an idle fleet that runs no
 * task (memory). undici is CommonJS: `default` is its exports both under Node and in the bundles.
 */
let loading: Promise<typeof import('undici')> | null = null;

export function loadUndici(): Promise<typeof import('undici')> {
  loading ??= import('undici').then((module) => module.default);
  return loading;
}
