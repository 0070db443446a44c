/** What the pool tells the world: published after commit, never with credentials. */
import type { HealthStatus, SpendLimitAction, SpendLimitPeriod } from './integration.entity.js';
import type { IntegrationView } from './integration.view.js';

export const INTEGRATION_CHANGE_KINDS = ['CREATED', 'UPDATED', 'DELETED'] as const;
export type IntegrationChangeKind = (typeof INTEGRATION_CHANGE_KINDS)[number];

interface EventBase {
  brandId: string;
  integration: IntegrationView;
  at: Date;
  /** Its place in the brand's event history (set once recorded; absent when the history could not be written). */
  id?: string;
}

export type IntegrationEvent =
  | (EventBase & { type: 'integration.changed'; kind: IntegrationChangeKind })
  | (EventBase & {
      type: 'integration.health_changed';
      previousStatus: HealthStatus;
      status: HealthStatus;
      consecutiveFailures: number;
      reason: string;
    })
  | (EventBase & {
      type: 'integration.spend_limit_changed';
      exceeded: boolean;
      previousExceeded: boolean;
      action: SpendLimitAction;
      amount: string | null;
      period: SpendLimitPeriod;
      usage: string;
    });
