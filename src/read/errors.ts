/**
 * A request the read layer refuses because of what the caller asked for (a page too large, a
 * cursor it did not issue, something that is not an ARN). The message is written for the caller;
 * the API answers it as BAD_USER_INPUT, the CLI prints it as is.
 */
/** A caller's value quoted in a message, cut short so a pasted log line does not come back whole. */
export const truncate = (s: string, max = 200) => (s.length > max ? `${s.slice(0, max)}…` : s);

export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    message: string,
    /** the argument at fault (`first`, `after`, `arn`…) */
    readonly argument: string,
  ) {
    super(message);
  }
}

/** The thing a request names does not exist (a mutation on an unknown id); the API answers NOT_FOUND. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    message: string,
    /** the argument naming it (`id`) */
    readonly argument: string,
  ) {
    super(message);
  }
}
