import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's root (two levels above dist/scaffold/, or src/scaffold/ under the tests):
 * where the `templates/` directory and the seed agents.yaml ship (package.json `files`).
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, 'templates');
