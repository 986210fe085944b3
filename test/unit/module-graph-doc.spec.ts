import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOC_PATH, END_MARKER, readSection, renderSection, replaceSection, START_MARKER } from '../../scripts/module-graph';

const DOC = join(__dirname, '..', '..', DOC_PATH);

describe('the module graph in docs/architecture.md (generated from the imports)', () => {
  it('matches what scripts/module-graph.ts generates from src/ now', () => {
    const inDoc = readSection(readFileSync(DOC, 'utf8'));
    if (inDoc === null) throw new Error(`${DOC_PATH} lacks the markers ${START_MARKER} and ${END_MARKER}`);
    const generated = renderSection();
    if (inDoc !== generated) {
      const a = inDoc.split('\n');
      const b = generated.split('\n');
      let i = 0;
      while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
      throw new Error(
        `The module graph in ${DOC_PATH} is out of date with the imports of src/: run \`npm run docs:module-graph\` and commit the doc.\n` +
          `First difference, line ${i + 1} of the section:\n  in the doc:  ${a[i] ?? '(end)'}\n  generated:   ${b[i] ?? '(end)'}`,
      );
    }
  });

  it('draws every feature folder of src/ and every Nest module class', () => {
    const section = renderSection();
    for (const feature of ['auth', 'users', 'flickr', 'common', 'config', 'bootstrap']) expect(section).toContain(`| ${feature} |`);
    expect(section).toMatch(/^ {2}AppModule --> /m);
    expect(section).toMatch(/^ {2}subgraph f_auth\[auth\]\n {4}AuthModule$/m);
  });

  it('replaces only what lies between the markers', () => {
    const doc = `# Title\n\nbefore\n${START_MARKER}\nold graph\n${END_MARKER}\nafter\n`;
    const updated = replaceSection(doc, 'new graph');
    expect(updated).toBe(`# Title\n\nbefore\n${START_MARKER}\nnew graph\n${END_MARKER}\nafter\n`);
    expect(readSection(updated)).toBe('new graph');
    expect(() => replaceSection('# no markers\n', 'x')).toThrow(/lacks the markers/);
  });
});
