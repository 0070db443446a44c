/** The one source of "now": production uses the system clock, tests drive a manual one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; `advance(60_000)` drives windows and cooldowns in tests. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | string = '2026-02-26T15:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
}
