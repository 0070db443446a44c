/**
 * Leases granted here from claimed allowance, not yet written to their keys'
 * usage (minute_count, daily_count, last_used_at): the pool writes them with
 * its timer's batches, a share of the keys at each tick and each key once a second, and before any read
 * of keys on this instance. Per key, the count of its latest minute and of the
 * day; a minute (or day) that turns before its counts are written keeps only
 * the newer window's (a key's usage figures, never its limits, which claims
 * hold).
 */
import type { CountItem, PoolTime } from './pool-input.js';

export class GrantedCounts {
  private readonly pending = new Map<number, CountItem>();
  /** Drained for a batch that has not answered yet, by key: still counted in `of`, so a view never dips while they are written. */
  private readonly writing = new Map<number, Set<CountItem>>();

  /** One lease of the key granted at `t`. */
  note(integrationId: number, t: PoolTime): void {
    const p = this.pending.get(integrationId);
    if (!p || p.day !== t.today) {
      this.pending.set(integrationId, { integrationId, minute: t.minuteStart, minuteN: 1, day: t.today, dayN: 1, lastUsedAt: t.now });
      return;
    }
    if (p.minute.getTime() !== t.minuteStart.getTime()) {
      p.minute = t.minuteStart;
      p.minuteN = 0;
    }
    p.minuteN++;
    p.dayN++;
    p.lastUsedAt = t.now;
  }

  /** The key's leases granted here and not yet written (or being written), in the current minute and day. */
  of(integrationId: number, t: PoolTime): { minute: number; day: number; lastUsedAt: Date | null } {
    const out = { minute: 0, day: 0, lastUsedAt: null as Date | null };
    const add = (p: CountItem | undefined) => {
      if (!p || p.integrationId !== integrationId || p.day !== t.today) return;
      if (p.minute.getTime() === t.minuteStart.getTime()) out.minute += p.minuteN;
      out.day += p.dayN;
      if (out.lastUsedAt === null || p.lastUsedAt > out.lastUsedAt) out.lastUsedAt = p.lastUsedAt;
    };
    add(this.pending.get(integrationId));
    for (const p of this.writing.get(integrationId) ?? []) add(p);
    return out;
  }

  get size(): number {
    return this.pending.size;
  }

  /** What is noted (of the keys `which` picks, or of every key), to write now (counted by `of` until `written`). */
  drain(which?: (integrationId: number) => boolean): CountItem[] {
    const items = which ? [...this.pending.values()].filter((item) => which(item.integrationId)) : [...this.pending.values()];
    if (which) for (const item of items) this.pending.delete(item.integrationId);
    else this.pending.clear();
    for (const item of items) {
      let forKey = this.writing.get(item.integrationId);
      if (!forKey) this.writing.set(item.integrationId, (forKey = new Set()));
      forKey.add(item);
    }
    return items;
  }

  /** Counts a batch wrote (the key's copy now holds them), or failed to write (they are noted again, for the next batch). */
  written(items: readonly CountItem[], ok: boolean): void {
    for (const item of items) {
      const forKey = this.writing.get(item.integrationId);
      forKey?.delete(item);
      if (forKey?.size === 0) this.writing.delete(item.integrationId);
      if (!ok) this.restore(item);
    }
  }

  private restore(item: CountItem): void {
    const p = this.pending.get(item.integrationId);
    if (!p) {
      this.pending.set(item.integrationId, item);
      return;
    }
    if (p.day !== item.day) return;
    if (p.minute.getTime() === item.minute.getTime()) p.minuteN += item.minuteN;
    p.dayN += item.dayN;
  }
}
