/**
 * The ORM's half of handing a request's actor to PostgreSQL (the plain pool's is in sql-pool.ts):
 * every transaction the ORM begins inside a request sets `keypool.actor` for that transaction.
 */
import type { EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { currentActor } from '../auth/request-actor.js';

export class ActorSubscriber implements EventSubscriber {
  async afterTransactionStart(args: TransactionEventArgs): Promise<void> {
    const actor = currentActor();
    if (!actor || !args.transaction) return;
    await args.em.getConnection().execute("select set_config('keypool.actor', ?, true)", [JSON.stringify(actor)], 'run', args.transaction);
  }
}
