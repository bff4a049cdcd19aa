/**
 * A request the read layer refuses because of what the caller asked for (a page too large, a
 * cursor it did not issue, something that is not an ARN). The message is written for the caller;
 * the API answers it as BAD_USER_INPUT, the CLI prints it as is.
 */
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
