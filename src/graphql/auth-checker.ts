/**
 * `@Authorized('admin')` for the operator's fields, `@Authorized('<permission>')`
 * for everything a brand does: a client token holds every permission of its
 * brand, a node credential only its own. Every field that reads or writes data
 * is guarded; `__typename` and introspection are not.
 */
import type { AuthCheckerFn } from 'type-graphql';
import { isAllowed, type KeypoolPermission } from '../modules/nodes/index.js';
import { forbidden, requirePrincipal } from '../platform/auth/principal-args.js';
import type { GraphQLContext } from './context.js';

export type Role = 'admin' | KeypoolPermission;

export const authChecker: AuthCheckerFn<GraphQLContext, Role> = ({ context }, roles) => {
  const principal = requirePrincipal(context);
  if (roles.length === 0) return true;
  if (roles.includes('admin')) {
    if (principal.kind === 'admin') return true;
    throw forbidden('this field needs the admin token');
  }
  if (principal.kind === 'admin') {
    throw forbidden('this field needs a brand client token or a node credential; the admin token manages brands and client tokens only');
  }
  const needed = roles.find((role) => !isAllowed(principal, role));
  if (needed === undefined) return true;
  throw forbidden(`needs ${needed}`);
};
