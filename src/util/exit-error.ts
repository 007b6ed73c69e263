/** Exit codes of the CLI contract. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  noSupervisor: 3,
  interrupted: 130,
} as const;

/**
 * An expected failure: the CLI prints its message (no stack) and exits with its code. Anything
 * else that reaches the top is a bug and is printed with its stack.
 */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}
