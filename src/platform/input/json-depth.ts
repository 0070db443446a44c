/**
 * How deep a JSON text nests, found in one pass over its characters (strings
 * skipped) and before it is parsed: a body nested 100,000 levels deep is
 * refused as bad input instead of overflowing the stack of whatever walks
 * the parsed value. Pure.
 */

/** JSON nested deeper than any request of keypool's dialects needs. */
export const MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Whether the text opens more than `maxDepth` objects or arrays inside one another. */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

export const tooDeepMessage = (maxDepth: number) => `The JSON body nests deeper than ${maxDepth} levels of objects and arrays`;
