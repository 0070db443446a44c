/** Decimal: exact money and weights as strings ("500", "0.1"); accepts a number or a numeric string, exponents included. */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

import { decimalText } from './decimal.js';

/** The value is never echoed in the message: it may be a secret put in the wrong field. */
function parseDecimal(value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'string' ? decimalText(value) : null;
  if (text === null) throw new GraphQLError('Decimal must be a number or a decimal string such as "12.50" or "1e-7"');
  return text;
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number, serialized as a string (e.g. "500", "0.125").',
  serialize: (value) => String(value),
  parseValue: parseDecimal,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT || ast.kind === Kind.STRING) return parseDecimal(ast.value);
    throw new GraphQLError('Decimal must be a number or a decimal string');
  },
});
