/** Every SQL function keypool defines, in the order they are applied after the migrations at start. */
import { SPEND_FUNCTIONS_SQL } from './modules/integrations/index.js';
import { POOL_FUNCTIONS_SQL } from './modules/leases/index.js';

export const SQL_DEFINITIONS: readonly string[] = [...SPEND_FUNCTIONS_SQL, ...POOL_FUNCTIONS_SQL];
