/** The export's file system side: reading prompts in, writing results out. */
import fs from 'node:fs';
import path from 'node:path';
import type { LightningConfig } from '../config/types.js';
import type { ExportFile } from './model.js';

/** Each built-in agent's prompt text (the loader has already checked every file exists). */
export function readPrompts(config: LightningConfig): Map<string, string> {
  const prompts = new Map<string, string>();
  for (const agent of config.agents) {
    if (agent.url === null && agent.prompt !== null) prompts.set(agent.name, fs.readFileSync(agent.prompt, 'utf8'));
  }
  return prompts;
}

/** The files of `files` that already exist under `dir`. */
export function existingFiles(dir: string, files: readonly ExportFile[]): string[] {
  return files.map((file) => path.join(dir, file.path)).filter((target) => fs.existsSync(target));
}

/** Writes every file under `dir` (created as needed); returns the paths written. */
export function writeFiles(dir: string, files: readonly ExportFile[]): string[] {
  return files.map((file) => {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
    return target;
  });
}
