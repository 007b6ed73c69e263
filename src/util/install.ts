/**
 * Where this lightning's own files are, for each way it is installed. The one place that knows
 * the layouts; everything else asks here for the templates, the package root, or the argv that
 * runs a worker, the detached supervisor or lightning itself.
 *
 *   tsc     dist/**.js from `tsc` (the repository, the Docker image): this file is dist/util/install.js
 *   bundle  the esbuild bundles the npm package ships: dist-bundle/cli.cjs, daemon.cjs, worker.cjs and
 *           their shared chunks, all directly in dist-bundle/ (so this file is one level down)
 *   binary  a Node single executable application: one file, templates embedded as a SEA asset
 *
 * scripts/bundle.mjs tells a bundle which it is by defining LIGHTNING_BUILD_KIND (and _VERSION); `tsc` leaves it unset.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

declare const LIGHTNING_BUILD_KIND: 'bundle' | 'binary' | undefined;
declare const LIGHTNING_BUILD_VERSION: string | undefined;

export type InstallKind = 'tsc' | 'bundle' | 'binary';
export type ProcessRole = 'worker' | 'daemon';

export const INSTALL_KIND: InstallKind = typeof LIGHTNING_BUILD_KIND === 'undefined' ? 'tsc' : LIGHTNING_BUILD_KIND;

/**
 * In the binary, argv[2] naming the role a spawned copy of the binary plays (the binary is
 * process.execPath, so it is its own worker and daemon). Not a command: `lightning --help` omits it.
 */
export const ROLE_FLAG = '--lightning-role';

/** The SEA asset holding templates/ as { "relative/path": "utf8 text" } (scripts/build-binary.mjs). */
export const TEMPLATES_ASSET = 'templates.json';

/** The package root (holding templates/, bin/, package.json); null in the binary, which has none. */
export const PACKAGE_ROOT: string | null =
  INSTALL_KIND === 'binary' ? null : fileURLToPath(new URL(INSTALL_KIND === 'bundle' ? '../' : '../../', import.meta.url));

/** The package version: compiled into a bundle, read from package.json under tsc. */
export function packageVersion(): string {
  if (typeof LIGHTNING_BUILD_VERSION !== 'undefined') return LIGHTNING_BUILD_VERSION;
  try {
    const text = readFileSync(path.join(PACKAGE_ROOT!, 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** argv that starts a worker or the detached supervisor (arguments for it follow). */
export function roleCommand(role: ProcessRole): string[] {
  if (INSTALL_KIND === 'binary') return [process.execPath, `${ROLE_FLAG}=${role}`];
  // CommonJS, both: they start with less CPU so (scripts/bundle.mjs).
  if (INSTALL_KIND === 'bundle') return [process.execPath, path.join(PACKAGE_ROOT!, 'dist-bundle', `${role}.cjs`)];
  const entry = role === 'worker' ? '../worker/entry.js' : '../cli/daemon.js';
  return [process.execPath, fileURLToPath(new URL(entry, import.meta.url))];
}

/** argv that runs the `lightning` command of this installation (for generated service files). */
export function lightningCommand(): string[] {
  return INSTALL_KIND === 'binary' ? [process.execPath] : [process.execPath, path.join(PACKAGE_ROOT!, 'bin', 'lightning.js')];
}

/**
 * The Node.js that runs scripts lightning writes (a TypeScript agent's start.mjs): this one, or
 * in the binary — whose execPath is lightning, not node — the first `node` on PATH, or null.
 */
export function nodeForScripts(): string | null {
  if (INSTALL_KIND !== 'binary') return process.execPath;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = dir && path.join(dir, 'node');
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

/** The TypeScript compiler this installation ships (a dependency of the package); null in the binary. */
export function ownTypeScript(): string | null {
  if (PACKAGE_ROOT === null) return null;
  try {
    return createRequire(path.join(PACKAGE_ROOT, 'package.json')).resolve('typescript');
  } catch {
    return null;
  }
}

let templatesDir: string | undefined;

/**
 * The templates/ directory. The binary writes its embedded copy out once per content (under
 * $XDG_CACHE_HOME/lightning, else ~/.cache/lightning, else the temp directory), so that the
 * scaffolding code reads plain files whichever way lightning was installed.
 */
export function templatesDirectory(): string {
  if (templatesDir !== undefined) return templatesDir;
  if (PACKAGE_ROOT !== null) return (templatesDir = path.join(PACKAGE_ROOT, 'templates'));
  const text = embeddedAsset(TEMPLATES_ASSET);
  const name = `templates-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const places = [path.join(cacheHome, 'lightning'), path.join(os.tmpdir(), `lightning-${os.userInfo().uid}`)];
  let lastError: unknown;
  for (const place of places) {
    const target = path.join(place, name);
    if (existsSync(target)) return (templatesDir = target);
    try {
      extractTemplates(JSON.parse(text) as Record<string, string>, place, target);
      return (templatesDir = target);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot write the embedded templates to ${places.join(' or ')}: ${(lastError as Error).message}\n  fix: set XDG_CACHE_HOME to a writable directory`);
}

/** Writes every file into a fresh directory, then renames it into place: never a half-written target. */
function extractTemplates(files: Record<string, string>, place: string, target: string): void {
  mkdirSync(place, { recursive: true, mode: 0o700 });
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(staging, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another lightning extracted the same content first: theirs is as good as ours.
    if (!existsSync(target)) throw error;
  }
}

function embeddedAsset(key: string): string {
  // node:sea exists from Node 20.12; only the binary, which carries its own Node, loads it.
  const sea = createRequire(process.execPath)('node:sea') as typeof import('node:sea');
  return sea.getAsset(key, 'utf8');
}
