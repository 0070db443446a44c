/**
 * Bounds on what one GraphQL operation may ask for, checked before it runs, on
 * HTTP and WebSocket alike: tokens (the parser stops past them), depth and
 * aliases (graphql-armor), root fields and leases (below), cost
 * (graphql-query-complexity: a list counts its `limit` times its selection),
 * and no NUL character in any argument. Every field counts, `__typename`
 * included. Every refusal says which limit, the allowed value and the variable
 * that sets it.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError, Kind, TypeInfo, visit, visitWithTypeInfo,
  type ASTVisitor, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
  type ValidationContext, type ValidationRule, type ValueNode,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { GraphQLLimits } from '../config/config.js';
import { findNulCharacter, nulCharacterMessage } from '../platform/input/nul-characters.js';

const LEASE_FIELD = 'leaseKey';

export const limitError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'OPERATION_LIMIT_EXCEEDED', http: { status: 400 } } });

/** Re-words armor's "Syntax Error: … limit of N exceeded, found M." as ours. */
function armorRejection(what: string, variable: string, allowed: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const found = /found (\d+)/.exec(error.message)?.[1] ?? 'more';
    context?.reportError(limitError(`Operation has ${found} ${what}; at most ${allowed} allowed (${variable})`));
  };
}

/** Root fields of an operation, through fragments. */
function rootFieldNames(selectionSet: SelectionSetNode, context: ValidationContext, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...rootFieldNames(selection.selectionSet, context, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) names.push(...rootFieldNames(fragment.selectionSet, context, seen));
    }
  }
  return names;
}

/**
 * At most `maxRootFields` root fields and `maxLeases` leaseKey fields; leaseKey only beside
 * other leaseKey fields, so no failure elsewhere in the operation can discard a granted lease.
 */
function rootFieldsRule(limits: GraphQLLimits): ValidationRule {
  return (context): ASTVisitor => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      const names = rootFieldNames(operation.selectionSet, context);
      if (names.length > limits.maxRootFields) {
        context.reportError(limitError(`Operation has ${names.length} root fields; at most ${limits.maxRootFields} allowed (KEYPOOL_GRAPHQL_MAX_ROOT_FIELDS)`));
      }
      const leases = names.filter((n) => n === LEASE_FIELD).length;
      if (leases > limits.maxLeases) {
        context.reportError(limitError(`Operation asks for ${leases} leases; at most ${limits.maxLeases} allowed (KEYPOOL_GRAPHQL_MAX_LEASES)`));
      }
      if (leases > 0 && leases < names.filter((n) => n !== '__typename').length) {
        context.reportError(limitError('leaseKey must be the only kind of field in its operation, so that no other failure can discard a granted lease'));
      }
    },
  });
}

/** Validation rules for every operation, beside GraphQL's own. */
export function operationLimitRules(limits: GraphQLLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, propagateOnRejection: false, onReject: [armorRejection('levels of depth', 'KEYPOOL_GRAPHQL_MAX_DEPTH', limits.maxDepth)] }),
    // armor leaves `__typename` aliases out by default: 55,000 of them made a 1 MB answer.
    maxAliasesRule({ n: limits.maxAliases, allowList: [], propagateOnRejection: false, onReject: [armorRejection('aliases', 'KEYPOOL_GRAPHQL_MAX_ALIASES', limits.maxAliases)] }),
    rootFieldsRule(limits),
  ];
}

function nulInLiteral(value: ValueNode, path: string): string | null {
  switch (value.kind) {
    case Kind.STRING:
      return findNulCharacter(value.value, path);
    case Kind.LIST:
      for (let i = 0; i < value.values.length; i++) {
        const found = nulInLiteral(value.values[i], `${path}[${i}]`);
        if (found) return found;
      }
      return null;
    case Kind.OBJECT:
      for (const field of value.fields) {
        const found = nulInLiteral(field.value, `${path}.${field.name.value}`);
        if (found) return found;
      }
      return null;
    default:
      return null;
  }
}

const hasVariable = (value: ValueNode): boolean =>
  value.kind === Kind.VARIABLE
  || (value.kind === Kind.LIST && value.values.some(hasVariable))
  || (value.kind === Kind.OBJECT && value.fields.some((f) => hasVariable(f.value)));

/** What a document's text alone says: a NUL character in a literal argument, and whether its cost can depend on the variables. */
interface DocumentFacts {
  nulLiteral: string | null;
  /** A variable sets an argument of a field whose cost reads its arguments (a list's limit), or an @include/@skip. */
  costReadsVariables: boolean;
  /** The cost by operation name, kept when it cannot depend on the variables. */
  costs: Map<string, number>;
}

const factsBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentFacts>>();

/** Read once per parsed document (the server keeps parsed documents, so a repeated operation reuses them). */
function documentFacts(schema: GraphQLSchema, document: DocumentNode): DocumentFacts {
  let known = factsBySchema.get(schema);
  if (!known) factsBySchema.set(schema, (known = new WeakMap()));
  const cached = known.get(document);
  if (cached) return cached;
  const facts: DocumentFacts = { nulLiteral: null, costReadsVariables: false, costs: new Map() };
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Argument(node) {
      facts.nulLiteral ??= nulInLiteral(node.value, node.name.value);
      if (!hasVariable(node.value)) return;
      const inDirective = typeInfo.getDirective() !== null;
      if (inDirective || typeInfo.getFieldDef()?.extensions?.complexity !== undefined) facts.costReadsVariables = true;
    },
  }));
  known.set(document, facts);
  return facts;
}

function costOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>, facts: DocumentFacts): number {
  const key = operationName ?? '';
  const known = facts.costs.get(key);
  if (known !== undefined) return known;
  const cost = getComplexity({
    schema, query: document, variables, operationName,
    estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
  });
  if (!facts.costReadsVariables) facts.costs.set(key, cost);
  return cost;
}

/**
 * Checks that need the variables: NUL characters in any argument, and the operation's cost.
 * Returns the refusal, or null when the operation may run. What depends on the document alone
 * (its literals; its cost, unless variables set a list's limit or an @include/@skip) is worked
 * out once per document.
 */
export function checkOperationInput(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  limits: GraphQLLimits,
): GraphQLError | null {
  const facts = documentFacts(schema, document);
  const nul = facts.nulLiteral ?? findNulCharacter(variables ?? {});
  if (nul) return new GraphQLError(nulCharacterMessage(nul), { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  let cost: number;
  try {
    cost = costOf(schema, document, operationName, variables ?? {}, facts);
  } catch (e) {
    // More fields than the estimator walks is over any cost; variables that do not coerce are
    // reported by execution in its own words.
    if (e instanceof GraphQLError && /maximum allowed number of nodes/.test(e.message)) return costRefusal(`more than ${limits.maxCost}`, limits);
    return null;
  }
  return cost > limits.maxCost ? costRefusal(String(cost), limits) : null;
}

const costRefusal = (cost: string, limits: GraphQLLimits) =>
  limitError(`Operation cost ${cost} exceeds the limit of ${limits.maxCost} (KEYPOOL_GRAPHQL_MAX_COST): ask for fewer items (limit) or fewer fields`);

/** The parser's own bound, so a huge document costs little before any rule sees it. */
export const parseOptions = (limits: GraphQLLimits) => ({ maxTokens: limits.maxTokens });

/** graphql's "Document contains more than N tokens. Parsing aborted." in the words of the other limits. */
export function tokenLimitMessage(message: string, limits: GraphQLLimits): string | null {
  // graphql 16 writes "more that".
  return /Document contains more tha[nt] \d+ tokens/.test(message)
    ? `Operation has more than ${limits.maxTokens} tokens; at most ${limits.maxTokens} allowed (KEYPOOL_GRAPHQL_MAX_TOKENS)`
    : null;
}
