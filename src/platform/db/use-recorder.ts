/**
 * "Last used at" without a write per request: a use is written at most once
 * per `resolutionMs` per id, in the background; a failed write (the database
 * is away) is simply tried again on a later use.
 */
export class UseRecorder {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly write: (id: string, at: Date) => Promise<unknown>,
    private readonly resolutionMs = 60_000,
    private readonly maxTracked = 100_000,
  ) {}

  note(id: string, at: Date): void {
    const last = this.written.get(id);
    if (last !== undefined && at.getTime() - last < this.resolutionMs) return;
    if (this.written.size >= this.maxTracked) this.written.clear();
    this.written.set(id, at.getTime());
    this.write(id, at).catch(() => this.written.delete(id));
  }
}
