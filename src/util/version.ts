import { packageVersion } from './install.js';

/** The package version, read once (compiled into a bundle or the binary; package.json under tsc). */
export const VERSION: string = packageVersion();
