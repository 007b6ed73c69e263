import { statSync } from 'node:fs';
import type { LightningConfig } from '../config/types.js';

/**
 * agents.yaml as of the latest spawn. Config is re-read on every restart so a fixed command or
 * changed environment takes effect; an unchanged file (same mtime and size) is not parsed again,
 * and a file that no longer validates keeps the last good config and says why.
 */
export class ConfigReloader {
  private stamp: string | null;

  constructor(private config: LightningConfig) {
    this.stamp = stampOf(config.path);
  }

  get current(): LightningConfig {
    return this.config;
  }

  async latest(): Promise<{ config: LightningConfig; error: string | null }> {
    const stamp = stampOf(this.config.path);
    if (stamp !== null && stamp === this.stamp) return { config: this.config, error: null };
    // Loaded only when the file changed: the parser and schema cost ~200 ms to import.
    const { loadConfig } = await import('../config/load.js');
    try {
      this.config = loadConfig(this.config.path);
      this.stamp = stamp;
      return { config: this.config, error: null };
    } catch (error) {
      return { config: this.config, error: (error as Error).message };
    }
  }
}

function stampOf(file: string): string | null {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return null;
  }
}
