/** Every committed migration, in order. Start-up applies the pending ones. */
import { Migration20261122203702_initial } from './Migration20261122203702_initial.js';
import { Migration20261122205240_spend_tracking } from './Migration20261122205240_spend_tracking.js';
import { Migration20261122220000_lease_many } from './Migration20261122220000_lease_many.js';
import { Migration20261123090000_wide_spend } from './Migration20261123090000_wide_spend.js';
import { Migration20261123100000_client_tokens } from './Migration20261123100000_client_tokens.js';
import { Migration20261123110000_encryption_canary } from './Migration20261123110000_encryption_canary.js';
import { Migration20261123120000_nodes } from './Migration20261123120000_nodes.js';
import { Migration20261123130000_provider_keys } from './Migration20261123130000_provider_keys.js';
import { Migration20261123140000_spend_ledger } from './Migration20261123140000_spend_ledger.js';
import { Migration20261124000000_first_token } from './Migration20261124000000_first_token.js';
import { Migration20261204120000_credential_parent } from './Migration20261204120000_credential_parent.js';
import { Migration20261204130000_key_last_error } from './Migration20261204130000_key_last_error.js';
import { Migration20261204140000_bifrost_clients } from './Migration20261204140000_bifrost_clients.js';
import { Migration20261204220000_allowance_claims } from './Migration20261204220000_allowance_claims.js';
import { Migration20261205000000_pool_outcomes } from './Migration20261205000000_pool_outcomes.js';
import { Migration20261205010000_observed_limits } from './Migration20261205010000_observed_limits.js';
import { Migration20261205020000_token_limits } from './Migration20261205020000_token_limits.js';
import { Migration20261205030000_reset_zones } from './Migration20261205030000_reset_zones.js';
import { Migration20261205040000_quota_groups } from './Migration20261205040000_quota_groups.js';
import { Migration20261205050000_audit_log } from './Migration20261205050000_audit_log.js';
import { Migration20261205060000_alerts } from './Migration20261205060000_alerts.js';
import { Migration20261205070000_event_history } from './Migration20261205070000_event_history.js';

export const migrationsList = [
  { name: 'Migration20261122203702_initial', class: Migration20261122203702_initial },
  { name: 'Migration20261122205240_spend_tracking', class: Migration20261122205240_spend_tracking },
  { name: 'Migration20261122220000_lease_many', class: Migration20261122220000_lease_many },
  { name: 'Migration20261123090000_wide_spend', class: Migration20261123090000_wide_spend },
  { name: 'Migration20261123100000_client_tokens', class: Migration20261123100000_client_tokens },
  { name: 'Migration20261123110000_encryption_canary', class: Migration20261123110000_encryption_canary },
  { name: 'Migration20261123120000_nodes', class: Migration20261123120000_nodes },
  { name: 'Migration20261123130000_provider_keys', class: Migration20261123130000_provider_keys },
  { name: 'Migration20261123140000_spend_ledger', class: Migration20261123140000_spend_ledger },
  { name: 'Migration20261124000000_first_token', class: Migration20261124000000_first_token },
  { name: 'Migration20261204120000_credential_parent', class: Migration20261204120000_credential_parent },
  { name: 'Migration20261204130000_key_last_error', class: Migration20261204130000_key_last_error },
  { name: 'Migration20261204140000_bifrost_clients', class: Migration20261204140000_bifrost_clients },
  { name: 'Migration20261204220000_allowance_claims', class: Migration20261204220000_allowance_claims },
  { name: 'Migration20261205000000_pool_outcomes', class: Migration20261205000000_pool_outcomes },
  { name: 'Migration20261205010000_observed_limits', class: Migration20261205010000_observed_limits },
  { name: 'Migration20261205020000_token_limits', class: Migration20261205020000_token_limits },
  { name: 'Migration20261205030000_reset_zones', class: Migration20261205030000_reset_zones },
  { name: 'Migration20261205040000_quota_groups', class: Migration20261205040000_quota_groups },
  { name: 'Migration20261205050000_audit_log', class: Migration20261205050000_audit_log },
  { name: 'Migration20261205060000_alerts', class: Migration20261205060000_alerts },
  { name: 'Migration20261205070000_event_history', class: Migration20261205070000_event_history },
];
