/** Which brands' usage the feed publishes (src/modules/pool/usage-feed.ts): in full where someone watches, on any instance; a cooldown always. */
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessEventBus } from '../../src/platform/events/event-bus.js';
import { UsageFeed, type UsageChanged, type UsageMessage } from '../../src/modules/pool/usage-feed.js';
import type { IntegrationView } from '../../src/modules/keys/index.js';

const REFRESH = 5000;

/** A key's view as the feed reads it (only the fields a usage carries). */
const view = (id: number, cooldownUntil: Date | null = null) => () => ({
  id, providerName: 'groq', minuteCount: 1, dailyCount: 1, spendToday: '0', spendMonth: '0', spendLimitExceeded: false,
  lastUsedAt: new Date(0), cooldownUntil, healthStatus: 'healthy', consecutiveFailures: 0, probeDueAt: null, asOf: new Date(0),
}) as unknown as IntegrationView;

let feeds: UsageFeed[] = [];
afterEach(async () => {
  for (const feed of feeds) await feed.close();
  feeds = [];
});

function setUp() {
  const bus = new InProcessEventBus<UsageMessage>();
  const sent: UsageMessage[] = [];
  bus.subscribe((m) => sent.push(m));
  let now = 0;
  const feed = new UsageFeed(bus, 60_000, REFRESH, () => now);
  feeds.push(feed);
  const usages = () => sent.filter((m): m is UsageChanged => 'usages' in m);
  const advance = (ms: number) => (now += ms);
  return {
    feed, sent, usages, advance,
    /** Listening for long enough to have heard every announcement: only watched brands go out in full. */
    settled: () => {
      feed.listening();
      advance(REFRESH * 2);
    },
    /** A lease of brand b1's key 1, flushed: how many usage events have gone out in all. */
    leaseFlushed: async () => {
      feed.note('b1', 1, view(1), 'lease');
      await feed.flush();
      return usages().length;
    },
  };
}

describe('the usage feed', () => {
  it('publishes every brand in full on a bus that never says it listens (in-process: one instance)', async () => {
    const { feed, usages } = setUp();
    feed.note('b1', 1, view(1), 'lease');
    await feed.flush();
    expect(usages().map((e) => [e.brandId, e.usages.map((u) => u.integrationId)])).toEqual([['b1', [1]]]);
  });

  it('once listening, publishes every brand for a refresh and a half (it may have missed announcements), then only watched ones', async () => {
    const { feed, advance, leaseFlushed } = setUp();
    feed.listening();
    advance(REFRESH * 1.5 - 1);
    expect(await leaseFlushed()).toBe(1);
    advance(1);
    feed.note('b1', 2, view(2));
    expect(await leaseFlushed()).toBe(1);
  });

  it('publishes a cooldown of an unwatched brand, and only the keys that have one', async () => {
    const { feed, usages, settled } = setUp();
    settled();
    feed.note('b1', 1, view(1, new Date(60_000)));
    feed.note('b1', 2, view(2));
    feed.note('b1', 3, view(3), 'lease');
    // A lease after the report that set the cooldown: still read for it.
    feed.note('b1', 1, view(1, new Date(60_000)), 'lease');
    await feed.flush();
    expect(usages().map((e) => e.usages.map((u) => [u.integrationId, u.cooldownUntil]))).toEqual([[[1, new Date(60_000).toISOString()]]]);
  });

  it('publishes a brand in full while a subscriber here watches it, and announces the first subscriber at once', async () => {
    const { feed, sent, settled, leaseFlushed } = setUp();
    settled();
    const release = feed.watch('b1');
    const second = feed.watch('b1');
    await Promise.resolve();
    // The first subscriber is announced; the second adds nothing to say.
    expect(sent.filter((m) => 'watching' in m)).toEqual([{ watching: ['b1'] }]);
    expect(await leaseFlushed()).toBe(1);
    // Released twice by the same subscriber: counted once; the other still watches.
    release();
    release();
    expect(await leaseFlushed()).toBe(2);
    second();
    expect(await leaseFlushed()).toBe(2);
  });

  it('publishes a brand another instance watches until three refreshes pass without hearing it again', async () => {
    const { feed, advance, settled, leaseFlushed } = setUp();
    settled();
    expect(feed.heard({ watching: ['b1'] })).toBe(true);
    expect(feed.heard({ brandId: 'b1', usages: [] })).toBe(false);
    advance(REFRESH * 3 - 1);
    expect(await leaseFlushed()).toBe(1);
    advance(1);
    expect(await leaseFlushed()).toBe(1);
    expect(feed.watched('b1')).toBe(false);
  });
});
