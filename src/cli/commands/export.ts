import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_IMAGE } from '../../export/defaults.js';
import { existingFiles, readPrompts, writeFiles } from '../../export/files.js';
import { EXPORT_TARGETS, ExportError, exportTarget } from '../../export/index.js';
import type { ExportResult } from '../../export/index.js';
import { lightningCommand } from '../../util/install.js';
import type { GlobalOptions } from '../context.js';
import { resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface ExportOptions extends GlobalOptions {
  output?: string;
  force?: boolean;
  image?: string;
}

/**
 * `lightning export compose|kubernetes|systemd [-o DIR]`: the same agents.yaml, handed to the
 * engine people already run. Without -o the result goes to stdout (notes on stderr, so it pipes);
 * with -o the files are written and the next commands printed.
 */
export async function exportCommand(target: string, options: ExportOptions): Promise<void> {
  const generate = exportTarget(target);
  if (!generate) {
    throw new ExitError(
      `unknown export target "${target}": use one of ${Object.keys(EXPORT_TARGETS).join(', ')}\n  e.g. lightning export compose -o deploy/compose`,
      EXIT.usage,
    );
  }
  const { configPath } = resolveContext(options);
  const config = loadConfig(configPath);
  const outDir = options.output ? path.resolve(options.output) : null;
  const home = options.home ?? process.env.LIGHTNING_HOME;
  // node and bin/lightning.js of this installation, or the lightning binary alone.
  const [nodePath, binPath] = lightningCommand();
  let result: ExportResult;
  try {
    result = generate({
      config,
      image: options.image ?? DEFAULT_IMAGE,
      prompts: readPrompts(config),
      env: process.env,
      nodePath: nodePath!,
      binPath: binPath ?? null,
      home: home ? path.resolve(home) : null,
      outDir,
    });
  } catch (error) {
    if (error instanceof ExportError) throw new ExitError(error.message, EXIT.usage);
    throw error;
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);

  if (outDir === null) {
    // `lightning export kubernetes | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(0);
    });
    process.stdout.write(result.stdout);
    process.stderr.write(`\nnext:\n${result.next(null).map((line) => `  ${line}\n`).join('')}`);
    return;
  }
  const existing = options.force ? [] : existingFiles(outDir, result.files);
  if (existing.length > 0) {
    throw new ExitError(
      `not overwriting ${existing.length === 1 ? 'a file that exists' : `${existing.length} files that exist`}: ${existing.join(', ')}\n  fix: add --force to replace them, or choose another directory with -o`,
      EXIT.usage,
    );
  }
  const written = writeFiles(outDir, result.files);
  // Relative to where the user stands when that is shorter to read, else absolute.
  const shown = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative === '' || relative.startsWith('..') ? file : relative;
  };
  process.stdout.write(`wrote ${written.length} file(s) to ${shown(outDir)}/:\n${written.map((file) => `  ${shown(file)}\n`).join('')}`);
  process.stdout.write(`\nnext:\n${result.next(shown(outDir)).map((line) => `  ${line}\n`).join('')}`);
}
