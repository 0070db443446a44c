/** Every table the ORM describes (for migrations, and for the brands, tokens and nodes it reads and writes); each module owns its own. */
import { BrandSchema, ClientTokenSchema } from './modules/brands/index.js';
import { IntegrationSchema, ReportedLeaseSchema } from './modules/keys/index.js';
import { NodeCredentialSchema, NodeSchema } from './modules/nodes/index.js';
import { ProviderConfigSchema } from './modules/providers/index.js';

export const ENTITIES = [BrandSchema, ClientTokenSchema, NodeSchema, NodeCredentialSchema, IntegrationSchema, ReportedLeaseSchema, ProviderConfigSchema];
