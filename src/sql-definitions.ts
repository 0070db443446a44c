/** Every SQL function keypool defines, in the order they are applied after the migrations at start. */
import { SPEND_FUNCTIONS_SQL } from './modules/spend/index.js';
import { POOL_FUNCTIONS_SQL } from './modules/pool/index.js';
import { AUDIT_FUNCTIONS_SQL } from './modules/audit/index.js';

export const SQL_DEFINITIONS: readonly string[] = [...SPEND_FUNCTIONS_SQL, ...POOL_FUNCTIONS_SQL, ...AUDIT_FUNCTIONS_SQL];
