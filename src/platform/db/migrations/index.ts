/** Every committed migration, in order. Start-up applies the pending ones. */
import { Migration20261122203702_initial } from './Migration20261122203702_initial.js';

export const migrationsList = [{ name: 'Migration20261122203702_initial', class: Migration20261122203702_initial }];
