/**
 * The operator's price table: USD per million prompt and completion tokens,
 * per `provider/model` (a `provider/*` entry prices the provider's other
 * models). Costs are computed exactly, in integers: prices have at most six
 * decimals, so a cost has at most twelve, which is what a usage report takes.
 */
export interface ModelPrice {
  prompt: string;
  completion: string;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

const PRICE = /^\d{1,6}(\.\d{1,6})?$/;
const SCALE = 1_000_000n;

/** Validates a price table as the operator wrote it (JSON); every problem is named. */
export function parsePriceTable(input: unknown): { table: PriceTable } | { problems: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { problems: ['must be a JSON object of "provider/model": { "prompt": "0.05", "completion": "0.08" }'] };
  const problems: string[] = [];
  const table: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(input)) {
    if (!/^[^/\s]+\/\S+$/.test(model)) problems.push(`"${model}" must be written provider/model`);
    const p = price as Record<string, unknown> | null;
    const ok = (v: unknown) => (typeof v === 'string' || typeof v === 'number') && PRICE.test(String(v));
    if (typeof p !== 'object' || p === null || !ok(p.prompt) || !ok(p.completion) || Object.keys(p).some((k) => k !== 'prompt' && k !== 'completion')) {
      problems.push(`"${model}" must be { "prompt": <USD per million tokens>, "completion": <USD per million tokens> } with at most 6 decimals`);
      continue;
    }
    table[model.toLowerCase()] = { prompt: String(p.prompt), completion: String(p.completion) };
  }
  return problems.length > 0 ? { problems } : { table };
}

const micros = (price: string): bigint => {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(6, '0'));
};

/** The price of `provider/model`, or of `provider/*`; null when the table has neither. */
export function priceOf(table: PriceTable, provider: string, model: string): ModelPrice | null {
  return table[`${provider}/${model}`.toLowerCase()] ?? table[`${provider}/*`.toLowerCase()] ?? null;
}

/** The exact cost in USD of the tokens at the price, as a decimal with at most 12 places. */
export function costOf(price: ModelPrice, promptTokens: number, completionTokens: number): string {
  const total = BigInt(promptTokens) * micros(price.prompt) + BigInt(completionTokens) * micros(price.completion); // in 10^-12 USD
  const unit = SCALE * SCALE;
  const fraction = (total % unit).toString().padStart(12, '0').replace(/0+$/, '');
  return fraction === '' ? (total / unit).toString() : `${total / unit}.${fraction}`;
}
