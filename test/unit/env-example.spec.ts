import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { CONFIG_SLICES } from '../../src/app.module';

/** Every variable a config slice reads must be documented in .env.example, with a comment, and nothing stale. */
describe('.env.example', () => {
  const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
  const lines = text.split('\n');
  const documented = new Map<string, string>();
  lines.forEach((line, i) => {
    const m = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (m) documented.set(m[1], lines[i - 1] ?? '');
  });
  const variables = new Set(
    CONFIG_SLICES.flatMap((slice) =>
      getMetadataStorage()
        .getTargetValidationMetadatas(slice, '', true, false)
        .map((m) => m.propertyName),
    ),
  );

  it('documents every variable with a one-line comment above it', () => {
    expect(variables.size).toBeGreaterThan(10);
    for (const name of variables) {
      expect({ name, documented: documented.has(name) }).toEqual({ name, documented: true });
      expect(documented.get(name)).toMatch(/^# \S/);
    }
  });

  it('documents nothing that no slice reads', () => {
    expect([...documented.keys()].filter((k) => !variables.has(k))).toEqual([]);
  });
});
