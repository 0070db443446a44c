import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });

describe('layering', () => {
  it('reads process.env only in src/config', () => {
    const readers = files('src').filter((f) => !f.startsWith('src/config/') && readFileSync(f, 'utf8').includes('process.env'));
    expect(readers).toEqual([]);
  });

  it('keeps pure policies free of Date.now() and Math.random()', () => {
    const policies = files('src/modules').filter((f) => /\/(limits|masking|spend)\.ts$/.test(f));
    expect(policies.length).toBe(3);
    for (const f of policies) expect(readFileSync(f, 'utf8')).not.toMatch(/Date\.now\(\)|Math\.random\(\)|new Date\(\)/);
  });
});
