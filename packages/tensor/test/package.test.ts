import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url).pathname;

interface PackEntry {
  files: { path: string }[];
}

describe('npm package', () => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir, encoding: 'utf8' }),
  ) as PackEntry[];
  const files = pack.files.map((f) => f.path);

  it('tarball holds code, types, readme, license', () => {
    for (const required of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/testing/index.js']) {
      expect(files, required).toContain(required);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('export map targets exist in the tarball', () => {
    const manifest = JSON.parse(readFileSync(`${packageDir}package.json`, 'utf8'));
    for (const [entry, target] of Object.entries<Record<string, string> | string>(manifest.exports)) {
      const paths = typeof target === 'string' ? [target] : Object.values(target);
      for (const path of paths) expect(files, `export ${entry}`).toContain(path.replace(/^\.\//, ''));
    }
  });

  it('built code has no path into the monorepo', () => {
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = readFileSync(`${packageDir}${file}`, 'utf8');
      const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const specifier of imports) {
        const allowed = specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('node:');
        expect(allowed, `${file} imports ${specifier}`).toBe(true);
      }
      expect(text.includes('/work/'), `${file} mentions an absolute path`).toBe(false);
    }
  });
});
