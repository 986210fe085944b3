import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every problem type the code can answer: the first argument of a ProblemException constructor call. */
function problemTypes(): Set<string> {
  const types = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:super|new ProblemException)\(\s*'([a-z][a-z0-9-]+)'/g)) types.add(m[1]);
  }
  return types;
}

describe('docs/errors.md', () => {
  it('lists every problem type the code can answer, with its status', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const types = problemTypes();
    expect(types.size).toBeGreaterThan(25);
    const missing = [...types].filter((t) => !new RegExp(`^\\| \`${t}\` \\| \\d{3}`, 'm').test(doc));
    expect(missing).toEqual([]);
  });
});
