/** One API call as received, for tests and users to assert on (`GET /_emulator/calls`). */
export interface RecordedCall {
  operation: string;
  input: unknown;
  error?: string;
  /** The call was applied and its response dropped by a "lost" fault. */
  responseLost?: boolean;
  at: string;
  /** The access key id the request was signed with (SigV4 Credential scope), when it was signed. */
  accessKeyId?: string;
}

export class CallLog {
  private calls: RecordedCall[] = [];

  record(call: RecordedCall): void {
    this.calls.push(call);
  }

  list(): RecordedCall[] {
    return [...this.calls];
  }

  clear(): void {
    this.calls = [];
  }
}
