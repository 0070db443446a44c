/** The repository installs cleanly on the Node it promises and stands alone, without ../shared beside it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));
const lowestNode = semver.minVersion(pkg.engines.node)!.version;

describe('installing from the lockfile', () => {
  it(`locks only packages that support Node ${lowestNode} (npm ci prints no EBADENGINE)`, () => {
    const unsupported = Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)
      .filter(([path, p]) => path !== '' && typeof p.engines?.node === 'string' && !semver.satisfies(lowestNode, p.engines.node))
      .map(([path, p]) => `${path} wants node ${p.engines!.node}`);
    expect(unsupported).toEqual([]);
  });

  it('decides every install script in allowScripts (approved or denied)', () => {
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });
});

describe('the repository', () => {
  it('never reads from ../shared: tests, docs and code use their own copies', () => {
    const tracked = execFileSync('git', ['ls-files', 'src', 'test', 'docs', 'scripts', 'bench', 'README.md'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.endsWith('repository.test.ts'));
    const offenders = tracked.filter((f) => readFileSync(new URL(f, root), 'utf8').includes('../shared'));
    expect(offenders).toEqual([]);
  });
});
