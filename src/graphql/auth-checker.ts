/**
 * `@Authorized('admin')` and `@Authorized('brand')`: every field that reads or
 * writes data is guarded; `__typename` and introspection are not.
 */
import type { AuthCheckerFn } from 'type-graphql';
import { forbidden, requirePrincipal, type GraphQLContext } from './context.js';

export type Role = 'admin' | 'brand';

export const authChecker: AuthCheckerFn<GraphQLContext, Role> = ({ context }, roles) => {
  const principal = requirePrincipal(context);
  if (roles.length === 0 || roles.includes(principal.kind)) return true;
  const needed = roles.includes('admin') ? 'the admin token' : 'a brand client token';
  throw forbidden(`this field needs ${needed}`);
};
