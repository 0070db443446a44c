/** Writes the sorted SDL to schema/schema.graphql (the committed contract). */
import { writeFileSync } from 'node:fs';
import { buildKeypoolSchema, printSortedSchema } from '../src/graphql/schema.js';

const schema = await buildKeypoolSchema();
writeFileSync('schema/schema.graphql', printSortedSchema(schema));
console.log('wrote schema/schema.graphql');
