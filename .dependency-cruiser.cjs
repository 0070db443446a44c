/**
 * Layering rules checked in CI (npm run lint:deps):
 * - no import cycles;
 * - modules import each other only through their index.ts, and no transport (graphql/, rest/, services.ts, app.ts);
 * - pure policies (limits, masking, spend) do no I/O; the pool's selection and health rules live in SQL only;
 * - only src/config reads process.env (checked by a test: depcruise sees imports, not property reads).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No runtime import cycles (type-only imports vanish at compile time).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
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
      from: { path: '^src/(rest|app\\.ts|cli\\.ts)' },
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
      from: { path: '^src/modules/(integrations|providers|leases|gateway|billing)/', pathNot: '\\.entity\\.ts$' },
      to: { path: '@mikro-orm' },
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
