/**
 * Exact decimals as text. JavaScript and Python write small and large JSON numbers
 * in exponent notation (`1e-7`, `2.5e+21`); money arrives that way and must be
 * kept exactly as written, so the point is moved in the digits, never through
 * floating-point arithmetic.
 */
const PLAIN = /^-?\d+(\.\d+)?$/;
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d{1,4})$/;

/** "1e-7" → "0.0000001", "2.50E+2" → "250", "12.50" → "12.50"; null for anything that is not a finite decimal. */
export function decimalText(value: number | string): string | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  if (PLAIN.test(text)) return text;
  const match = EXPONENT.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = '', exponent] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  out = out.replace(/^0+(?=\d)/, '');
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return sign && /[1-9]/.test(out) ? `-${out}` : out;
}
