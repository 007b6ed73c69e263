import { templatesDirectory } from '../util/install.js';

/**
 * The `templates/` directory of this installation (the package's, or the binary's embedded copy
 * written out on first use): the agent templates, the init template and the built-in prompts.
 */
export function templatesDir(): string {
  return templatesDirectory();
}
