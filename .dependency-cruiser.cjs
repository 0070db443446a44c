/**
 * Layering rules checked in CI (npm run lint:deps):
 * - no import cycles, type-only ones included;
 * - modules import each other only through their index.ts, and no transport (graphql/, rest/, services.ts, app.ts);
 * - modules own their settings types (the configuration imports them, never the other way round);
 * - the platform knows no module: the composition root hands it the modules' entities and SQL;
 * - one persistence style per area: the key pool's tables through SQL repositories, brands, tokens and nodes through the ORM;
 * - pure policies (limits, masking, spend) do no I/O; the pool's selection and health rules live in SQL only;
 * - only src/config reads process.env (checked by a test: depcruise sees imports, not property reads).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles, type-only ones included: each concept sits above or below another, never beside it in a circle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'modules-own-their-settings',
      comment: 'A module declares the settings it takes (keys/env-references.ts, pool/health-settings.ts, spend/billing-settings.ts, …); src/config builds them from the environment.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/config/' },
    },
    {
      name: 'platform-knows-no-module',
      comment: 'src/platform is the product-neutral base: the ORM gets its entities (src/entities.ts) and the SQL definitions from the composition root.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|graphql|rest|config)/|^src/[^/]+\\.ts$' },
    },
    {
      name: 'modules-through-index',
      comment: 'A module reaches another module only through its index.ts.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/(?!index\\.ts$)', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'transports-through-index',
      comment: 'REST and app wiring use a module through its index.ts.',
      severity: 'error',
      from: { path: '^src/(rest|app\\.ts|cli\\.ts|entities\\.ts|sql-definitions\\.ts)' },
      to: { path: '^src/modules/[^/]+/(?!index\\.ts$)' },
    },
    {
      name: 'modules-know-no-transport',
      comment: 'A module never imports GraphQL wiring, REST routes or the composition root: each transport renders what the services answer.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/(graphql|rest)/|^src/(services|app|main|cli)\\.ts$' },
    },
    {
      name: 'pool-tables-through-repositories',
      comment: 'The key pool\'s tables (keys, providers\' settings, leases) are reached through their repositories\' SQL; the ORM only describes them for migrations.',
      severity: 'error',
      from: { path: '^src/modules/(keys|providers|pool|gateway|spend)/', pathNot: '\\.entity\\.ts$' },
      to: { path: '@mikro-orm' },
    },
    {
      name: 'orm-areas-through-the-orm',
      comment: 'One persistence style per area: brands, client tokens and nodes are read and written through the ORM only, never the raw pool the key pool\'s repositories use.',
      severity: 'error',
      from: { path: '^src/modules/(brands|nodes)/' },
      to: { path: '^src/platform/db/(sql-pool|statement-batcher)\\.ts$|^pg$' },
    },
    {
      name: 'pure-policies',
      comment: 'Policies take values and return decisions: no database, network, filesystem or clock.',
      severity: 'error',
      from: { path: '^src/modules/[^/]+/(limits|masking|spend)\\.ts$' },
      to: { path: '(^node:|^(pg|fs|net|http)$|@mikro-orm|^src/platform/(db|events)|^src/platform/time)', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
