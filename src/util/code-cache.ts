/**
 * Runs one bundled CommonJS file compiled through a V8 code cache: the package's detached
 * supervisor (dist-bundle/daemon.cjs runs dist-bundle/daemon-main.cjs this way, see
 * src/cli/daemon-start.ts and scripts/bundle.mjs).
 *
 * Why: every `lightning up -d` starts a fresh daemon, and compiling its ~600 KB file (and each
 * function it calls on the way to the first spawn) is CPU spent before any worker is spawned, on
 * a machine where the workers about to boot need every core. With the code V8 produced on an
 * earlier start, it deserializes instead of compiling.
 *
 * The cache is only ever an optimisation: a missing, unreadable, stale or corrupt one is rejected
 * (here when its name does not match the file's content hash, by V8 when its version, flags or
 * checksum do not match: `cachedDataRejected`), the file compiles as usual, and `save()` writes a
 * fresh one. Node 22.1+ has a compile cache of its own (module.enableCompileCache), used instead
 * where present. The cache is as trusted as the directory it is in: the daemon's is the state
 * directory, whose config-cache.json already says what the supervisor runs.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export interface CachedRun {
  /** What the file was compiled from: its cache, or its source (no cache yet, or one V8 rejected). */
  readonly cache: 'used' | 'absent' | 'rejected' | 'node-compile-cache';
  /** Writes the code cache if the one read was missing or rejected (else does nothing). Never throws. */
  save(): void;
}

/** Node 22.1+: module.enableCompileCache(dir). */
type EnableCompileCache = (directory: string) => unknown;

/**
 * Runs `file` (a CommonJS file, as `require` would) with the code cache kept in `cacheDir` under
 * `key` (the file's content hash: a rebuilt file never meets the cache of another).
 */
export function runWithCodeCache(file: string, cacheDir: string, key: string): CachedRun {
  const enableCompileCache = (Module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (enableCompileCache) {
    try {
      enableCompileCache(cacheDir);
    } catch {
      // No cache: the file compiles as usual.
    }
    createRequire(file)(file);
    return { cache: 'node-compile-cache', save: () => undefined };
  }
  const cacheFile = path.join(cacheDir, `${path.basename(file)}-${key}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // None yet (or unreadable): compiled from source, and saved once the program is up.
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const cache = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used';
  const compiled = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const module = new Module(file);
  module.filename = file;
  module.loaded = true;
  compiled.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return {
    cache,
    save() {
      if (cache === 'used') return;
      try {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        // Another file's (an older build's) cache is of no use any more.
        const prefix = `${path.basename(file)}-`;
        for (const name of readdirSync(cacheDir)) if (name.startsWith(prefix) && name !== path.basename(cacheFile)) rmSync(path.join(cacheDir, name), { force: true });
        // Atomic: a daemon starting meanwhile reads the old cache or the new one, never half of one.
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
      } catch {
        // A read-only or full disk: the next start compiles from source again.
      }
    },
  };
}
