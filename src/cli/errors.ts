/** A failure to report to the user as it is (no stack trace): unknown names, bad arguments, timeouts. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
