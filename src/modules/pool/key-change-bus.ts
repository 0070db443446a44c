/**
 * The integration event bus as the pool sees it: every event published on
 * this instance tells the key book, before it goes out, that the keys of that
 * brand's provider changed, so the request that made the change is answered
 * only once this instance's next lease will see it. (Events published by other
 * instances tell it as they arrive: see keyChangesOf.)
 */
import { ForwardingEventBus, type EventBus } from '../../platform/events/event-bus.js';
import type { EventCodec } from '../../platform/events/pg-notify-bus.js';
import type { IntegrationEvent } from '../keys/index.js';
import type { UsageChanged, UsageMessage } from './usage-feed.js';

export type KeysChanged = (brandId: string, providerName?: string) => void;

export class KeyChangeBus extends ForwardingEventBus<IntegrationEvent> {
  constructor(
    inner: EventBus<IntegrationEvent>,
    private readonly changed: KeysChanged,
  ) {
    super(inner);
  }

  async publish(event: IntegrationEvent): Promise<void> {
    this.changed(event.brandId, event.integration.providerName);
    await this.inner.publish(event);
  }
}

/** A codec that hands every event it decodes from the wire (any instance's) to `seen` as well. */
function seenOnDecode<E>(codec: EventCodec<E>, seen: () => (event: E) => void): EventCodec<E> {
  return {
    encode: (event) => codec.encode(event),
    async decode(payload) {
      const event = await codec.decode(payload);
      if (event) seen()(event);
      return event;
    },
  };
}

/** A codec that tells `changed` of every key event it decodes (the pool drops its copy of that provider's keys). */
export const keyChangesOf = (codec: EventCodec<IntegrationEvent>, changed: () => KeysChanged): EventCodec<IntegrationEvent> =>
  seenOnDecode(codec, () => (event) => changed()(event.brandId, event.integration.providerName));

/**
 * The usage channel's codec: an announcement of watched brands is taken in by the feed (`heard`
 * says it was one) and reaches no subscriber; every usage event is handed to `seen` as well (the
 * pool's copy of the keys learns other instances' cooldowns).
 */
export const usageSeenBy = (
  codec: EventCodec<UsageMessage>, heard: () => (message: UsageMessage) => boolean, seen: () => (event: UsageChanged) => void,
): EventCodec<UsageMessage> => ({
  encode: (message) => codec.encode(message),
  async decode(payload) {
    const message = await codec.decode(payload);
    if (message === null || heard()(message) || !('usages' in message)) return null;
    seen()(message);
    return message;
  },
});
