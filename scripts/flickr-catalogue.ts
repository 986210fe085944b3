/**
 * Generates the Flickr method catalogue (src/flickr/flickr.catalogue.json)
 * from the typed REST definitions the official `flickr-sdk` package ships
 * (`dist/services/rest/flickr.*.d.ts`, themselves generated from Flickr's
 * reflection API): name, description, required permission, and each
 * parameter with its optionality. Parsed with the TypeScript compiler API, so
 * nothing is written by hand. Re-run after upgrading flickr-sdk:
 *
 *   node -r ts-node/register/transpile-only scripts/flickr-catalogue.ts
 *
 * test/unit/flickr-catalogue.spec.ts fails when the checked-in catalogue and
 * the installed SDK disagree.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export type FlickrPermission = 'none' | 'read' | 'write' | 'delete';

export interface CatalogueParam {
  name: string;
  required: boolean;
  description: string;
}

export interface CatalogueMethod {
  name: string;
  description: string;
  permission: FlickrPermission;
  params: CatalogueParam[];
}

/** Where the installed flickr-sdk keeps its REST method definitions. */
export function sdkRestDir(): string {
  return join(dirname(require.resolve('flickr-sdk/package.json')), 'dist', 'services', 'rest');
}

/** The catalogue as the installed SDK defines it, sorted by method name. */
export function generateCatalogue(dir = sdkRestDir()): { sdkVersion: string; methods: CatalogueMethod[] } {
  const methods = readdirSync(dir)
    .filter((f) => /^flickr\..+\.d\.ts$/.test(f) && !f.endsWith('.response.d.ts'))
    .map((f) => parseMethod(readFileSync(join(dir, f), 'utf8')))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sdkVersion = (JSON.parse(readFileSync(require.resolve('flickr-sdk/package.json'), 'utf8')) as { version: string }).version;
  return { sdkVersion, methods };
}

function parseMethod(source: string): CatalogueMethod {
  const header = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const lines = header
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter((l) => l.length > 0 && !l.startsWith('This file was auto-generated'));
  const name = lines[0];
  const permission = /^Permissions required: (none|read|write|delete)$/.exec(lines.find((l) => l.startsWith('Permissions required:')) ?? '')?.[1];
  if (!/^flickr\.[A-Za-z.]+$/.test(name ?? '') || !permission) throw new Error(`unexpected flickr-sdk definition: ${lines.slice(0, 3).join(' | ')}`);
  const description = lines.slice(1).filter((l) => !l.startsWith('Permissions required:')).join(' ');

  const file = ts.createSourceFile('m.d.ts', source, ts.ScriptTarget.ES2022, true);
  const params: CatalogueParam[] = [];
  file.forEachChild((node) => {
    if (!ts.isTypeAliasDeclaration(node) || !ts.isTypeLiteralNode(node.type)) return;
    for (const member of node.type.members) {
      if (!ts.isPropertySignature(member) || !member.name) continue;
      const doc = ts
        .getJSDocCommentsAndTags(member)
        .map((d) => (typeof d.comment === 'string' ? d.comment : ''))
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim();
      params.push({ name: member.name.getText(file), required: !member.questionToken, description: doc });
    }
  });
  return { name, description, permission: permission as FlickrPermission, params };
}

if (require.main === module) {
  const out = join(__dirname, '..', 'src', 'flickr', 'flickr.catalogue.json');
  const catalogue = generateCatalogue();
  writeFileSync(out, `${JSON.stringify(catalogue, null, 2)}\n`);
  process.stdout.write(`${catalogue.methods.length} methods from flickr-sdk ${catalogue.sdkVersion} → ${out}\n`);
}
