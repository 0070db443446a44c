/**
 * A GraphQL enum made from the one list of values the domain declares (a
 * `const` array), so no value is written twice: each value's GraphQL name is
 * the value in upper case, and the resolvers see the domain's own strings.
 */
import { registerEnumType } from 'type-graphql';

export type GraphQLEnumObject<V extends string> = { readonly [K in V as Uppercase<K>]: K };

export function graphqlEnum<const V extends string>(values: readonly V[], name: string, description?: string): GraphQLEnumObject<V> {
  const object = Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as GraphQLEnumObject<V>;
  registerEnumType(object, { name, ...(description !== undefined && { description }) });
  return object;
}
