/**
 * Limit fields as people type them: an empty field is "no limit" (and says so), a whole number is
 * a limit, anything else ("1,000", "abc", "-5") is refused on the spot and never sent, so a typo
 * can never reach the API as "no limit".
 */
import { useState } from 'preact/hooks';

export type Parsed<T> = { kind: 'none' } | { kind: 'value'; value: T } | { kind: 'invalid'; message: string };

const MAX_LIMIT = 2_147_483_647;

export function parseCount(text: string): Parsed<number> {
  const t = text.trim();
  if (t === '') return { kind: 'none' };
  if (!/^\d+$/.test(t)) return { kind: 'invalid', message: 'a whole number (digits only, no separators), or empty for no limit' };
  const n = Number(t);
  if (n < 1 || n > MAX_LIMIT) return { kind: 'invalid', message: `from 1 to ${MAX_LIMIT}, or empty for no limit` };
  return { kind: 'value', value: n };
}

export function parseUsd(text: string): Parsed<string> {
  const t = text.trim();
  if (t === '') return { kind: 'none' };
  if (!/^\d{1,12}(\.\d{1,8})?$/.test(t)) return { kind: 'invalid', message: 'an amount in USD like 25 or 0.50 (no $ or separators), or empty for no limit' };
  return { kind: 'value', value: t };
}

/** The value to send: null for "no limit"; undefined never (invalid fields stop the form). */
export const valueOf = <T,>(p: Parsed<T>): T | null => (p.kind === 'value' ? p.value : null);

/** One limit input with its inline verdict: "no limit" when empty, the problem when invalid. */
export function LimitField({ label, text, onText, parse, inputMode }: {
  label: string;
  text: string;
  onText: (text: string) => void;
  parse: (text: string) => Parsed<unknown>;
  inputMode: 'numeric' | 'decimal';
}) {
  const [touched, setTouched] = useState(false);
  const parsed = parse(text);
  const id = `limit-${label.replace(/\W+/g, '-').toLowerCase()}`;
  const invalid = parsed.kind === 'invalid';
  return (
    <label class="limit-field">
      {label}
      <input inputMode={inputMode} value={text} placeholder="no limit" aria-invalid={invalid} aria-describedby={`${id}-hint`}
        onInput={(e) => onText((e.target as HTMLInputElement).value)} onBlur={() => setTouched(true)} />
      <span id={`${id}-hint`} class={invalid && (touched || text.trim() !== '') ? 'field-error' : 'hint'}>
        {invalid ? `Must be ${parsed.message}` : parsed.kind === 'none' ? 'no limit' : '\u00a0'}
      </span>
    </label>
  );
}
