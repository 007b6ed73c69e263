// The CLI's exit codes and ExitError live in util/ so that what the CLI calls (scaffold/) can throw
// them without importing the CLI; re-exported here for the commands.
export { EXIT, ExitError } from '../util/exit-error.js';
