/**
 * The import graph of `src/`, read from the code with the TypeScript compiler
 * API (import/export declarations, `import()` and `import('…')` types; no
 * regexes), at two levels:
 *
 * - **features**: the folders under `src/` (`src/auth`, `src/users`, …). Files
 *   directly in `src/` (`main.ts`, `app.module.ts`, `worker.ts`, `cli.ts`, …) and
 *   `src/cli/` form the top feature, `app`.
 * - **Nest modules**: the classes decorated with `@Module()` and the modules
 *   each lists in its `imports` (spreads of constant arrays included).
 *
 * The rule is "imports point down": the feature graph is acyclic, so a feature
 * never imports from a feature that (directly or transitively) depends on it.
 * `checkImportDirection` reports every violation with the file-level imports
 * that make it; test/unit/import-direction.spec.ts enforces it (with its list of
 * known back-references that are being removed).
 *
 * Run `npm run docs:module-graph` (this file with `--write`) to regenerate the
 * generated section of docs/architecture.md; without `--write` it prints the
 * section. test/unit/module-graph-doc.spec.ts fails when the doc is stale.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** The repository root (this file lives in `scripts/`). */
export const REPO_ROOT = join(__dirname, '..');

/** The feature the files directly in `src/` and in `src/cli/` belong to. */
export const APP_FEATURE = 'app';

/**
 * The intended layering, bottom first: documentation and the order in which
 * features are drawn, NOT enforced (only acyclicity is). When a cycle is
 * reported, the hop that points up this table (a lower feature importing a
 * higher one) is marked, since it is usually the one to remove. Within a layer,
 * earlier entries sit lower.
 */
export const LAYERS: readonly (readonly string[])[] = [
  // Foundations: no feature knowledge, used by everyone.
  ['common', 'config', 'logging', 'metrics', 'database', 'redis', 'security-events', 'kms'],
  // Core services that features build on.
  ['queue', 'tokens', 'request-log', 'webhooks', 'users', 'flickr-apps', 'rate-limit', 'auth'],
  // Feature modules: routes and jobs.
  ['flickr', 'oauth', 'connect', 'uploads', 'admin', 'health'],
  // Assembly: the global pipeline and the process entry points.
  ['bootstrap', APP_FEATURE],
];

/** One file importing another file of a different feature (all declarations between the two merged). */
export interface ImportEdge {
  /** Importing file, relative to the repo root with `/` separators, e.g. `src/rate-limit/rate-limit.guard.ts`. */
  from: string;
  /** Imported file, same form (the resolved `.ts`/`index.ts`, or the bare path when it does not exist). */
  to: string;
  fromFeature: string;
  toFeature: string;
  /** The specifier as written in the first declaration, e.g. `../auth/client-auth.guard`. */
  specifier: string;
  /** True when every declaration between the two files is `import type`/`export type` (erased at run time). */
  typeOnly: boolean;
}

/** A Nest module importing another Nest module declared in `src/`. */
export interface ModuleEdge {
  from: string;
  to: string;
}

/** A known back-reference, written `'<importing file> -> <imported file>'` (paths as in `ImportEdge`). */
export type KnownEdge = string;

/** The key a known back-reference is matched by. */
export function edgeKey(e: Pick<ImportEdge, 'from' | 'to'>): KnownEdge {
  return `${e.from} -> ${e.to}`;
}

/** The feature a repo-relative path (with `/`) belongs to, or null outside `src/`. */
export function featureOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return null;
  if (parts.length === 2 || parts[1] === 'cli') return APP_FEATURE;
  return parts[1];
}

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTsFiles(p));
    // Specs next to the code are tests, not part of the code's dependencies.
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.spec.ts')) out.push(p);
  }
  return out;
}

/** Ordinal string order (not locale-dependent, so the generated doc is the same everywhere). */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const toRepoPath = (root: string, abs: string): string => relative(root, abs).split(sep).join('/');

/** Resolves a relative specifier to a repo path: `x.ts`, `x/index.ts`, `x` itself, or `x.js` → `x.ts`. */
function resolveSpecifier(root: string, fromRepoPath: string, specifier: string): string {
  const base = posix.normalize(posix.join(posix.dirname(fromRepoPath), specifier));
  const candidates = [`${base}.ts`, `${base}/index.ts`, base, base.replace(/\.js$/, '.ts')];
  return candidates.find((c) => existsSync(join(root, c)) && statSync(join(root, c)).isFile()) ?? base;
}

/** One parsed source file: its import declarations and what the Nest-module pass needs. */
interface ParsedFile {
  path: string;
  source: ts.SourceFile;
  /** Local name → imported file and exported name, for relative imports. */
  bindings: Map<string, { file: string; name: string }>;
  imports: { specifier: string; to: string; typeOnly: boolean }[];
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // side-effect import: runs code
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const named = clause.namedBindings;
  return !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

function parseFile(root: string, abs: string): ParsedFile {
  const path = toRepoPath(root, abs);
  const source = ts.createSourceFile(path, readFileSync(abs, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const parsed: ParsedFile = { path, source, bindings: new Map(), imports: [] };
  const add = (spec: ts.Expression | undefined, typeOnly: boolean): string | null => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return null;
    const to = resolveSpecifier(root, path, spec.text);
    parsed.imports.push({ specifier: spec.text, to, typeOnly });
    return to;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const to = add(node.moduleSpecifier, isTypeOnlyImport(node));
      const clause = node.importClause;
      if (to && clause) {
        if (clause.name) parsed.bindings.set(clause.name.text, { file: to, name: 'default' });
        if (clause.namedBindings && ts.isNamedImports(clause.namedBindings))
          for (const el of clause.namedBindings.elements) parsed.bindings.set(el.name.text, { file: to, name: (el.propertyName ?? el.name).text });
      }
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, isTypeOnlyExport(node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false); // import('…')
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true); // type X = import('…').Y
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return parsed;
}

/** Every `.ts` file under `<root>/src` (specs excluded), parsed. */
function parseTree(root: string): ParsedFile[] {
  return listTsFiles(join(root, 'src')).map((f) => parseFile(root, f));
}

/** File-level imports that cross a feature boundary, sorted. */
export function collectImportEdges(root = REPO_ROOT, files = parseTree(root)): ImportEdge[] {
  const merged = new Map<string, ImportEdge>();
  for (const f of files) {
    const fromFeature = featureOf(f.path);
    if (!fromFeature) continue;
    for (const imp of f.imports) {
      const toFeature = featureOf(imp.to);
      if (!toFeature || toFeature === fromFeature) continue;
      const key = edgeKey({ from: f.path, to: imp.to });
      const seen = merged.get(key);
      if (seen) seen.typeOnly &&= imp.typeOnly;
      else merged.set(key, { from: f.path, to: imp.to, fromFeature, toFeature, specifier: imp.specifier, typeOnly: imp.typeOnly });
    }
  }
  return [...merged.values()].sort((a, b) => byText(edgeKey(a), edgeKey(b)));
}

/** Feature → the features it imports (each feature present as a key). */
export function featureGraph(edges: readonly ImportEdge[], features: Iterable<string> = []): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const f of features) g.set(f, new Set());
  for (const e of edges) {
    if (!g.has(e.fromFeature)) g.set(e.fromFeature, new Set());
    if (!g.has(e.toFeature)) g.set(e.toFeature, new Set());
    g.get(e.fromFeature)!.add(e.toFeature);
  }
  return g;
}

/** Strongly connected components (Tarjan); every component of more than one node holds a cycle. */
export function stronglyConnected(g: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(g.get(v) ?? [])].sort()) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** Shortest path from `start` to `goal` in `g` restricted to `within`, as a node list, or null. */
function shortestPath(g: Map<string, Set<string>>, start: string, goal: string, within?: Set<string>): string[] | null {
  const prev = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    if (v === goal) {
      const path = [v];
      for (let p = prev.get(v); p != null; p = prev.get(p)) path.unshift(p);
      return path;
    }
    for (const w of [...(g.get(v) ?? [])].sort()) {
      if (prev.has(w) || (within && !within.has(w))) continue;
      prev.set(w, v);
      queue.push(w);
    }
  }
  return null;
}

/** Position of a feature in LAYERS (bottom = 0), or undefined for a feature the table does not list. */
export function layerRank(feature: string): number | undefined {
  const flat = LAYERS.flat();
  const i = flat.indexOf(feature);
  return i < 0 ? undefined : i;
}

/** True when LAYERS puts `from` below `to`: an import pointing up the intended layering. */
export function pointsUp(from: string, to: string): boolean {
  const a = layerRank(from);
  const b = layerRank(to);
  return a !== undefined && b !== undefined && a < b;
}

/**
 * The cycles of the feature graph, each as the shortest cycle through one
 * feature-level edge, rotated to start at the smallest feature and
 * de-duplicated. The edges used are those of each strongly connected component
 * that point up LAYERS or touch a feature LAYERS does not list (all of the
 * component's edges when there is none): every cycle holds at least one of
 * them, so every cycle is represented, without one report per downward hop.
 */
export function featureCycles(g: Map<string, Set<string>>): string[][] {
  const cycles = new Map<string, string[]>();
  for (const comp of stronglyConnected(g)) {
    if (comp.length < 2) continue;
    const within = new Set(comp);
    const inComp = comp.flatMap((u) => [...g.get(u)!].filter((v) => within.has(v)).map((v) => [u, v] as const));
    const suspect = inComp.filter(([u, v]) => pointsUp(u, v) || layerRank(u) === undefined || layerRank(v) === undefined);
    for (const [u, v] of suspect.length > 0 ? suspect : inComp) {
      const back = shortestPath(g, v, u, within)!;
      const cycle = [u, ...back.slice(0, -1)];
      const m = cycle.indexOf([...cycle].sort()[0]);
      const rotated = [...cycle.slice(m), ...cycle.slice(0, m)];
      cycles.set(rotated.join(' -> '), rotated);
    }
  }
  return [...cycles.keys()].sort().map((k) => cycles.get(k)!);
}

/** Describes the file-level imports behind one feature-level hop (at most `limit` listed). */
function describeHop(edges: readonly ImportEdge[], from: string, to: string, limit = 3): string {
  const files = edges.filter((e) => e.fromFeature === from && e.toFeature === to);
  const shown = files.slice(0, limit).map((e) => `${e.from} imports ${e.typeOnly ? 'type ' : ''}${e.specifier}`);
  const more = files.length > limit ? ` (+${files.length - limit} more)` : '';
  const up = pointsUp(from, to) ? ' [points up the intended layering]' : '';
  return `  ${from} -> ${to}${up}: ${shown.join('; ')}${more}`;
}

/**
 * Checks "imports point down". `known` are file-level edges that close cycles
 * today and are being removed. Returns one message per problem (empty when the
 * rule holds):
 * - a cycle in the feature graph once the known edges are left out (a new back-reference);
 * - a known edge that no longer exists in the code, or that no longer closes a
 *   cycle (it must be deleted from the list so it cannot come back unnoticed).
 */
export function checkImportDirection(edges: readonly ImportEdge[], known: readonly KnownEdge[] = []): string[] {
  const problems: string[] = [];
  const byKey = new Map(edges.map((e) => [edgeKey(e), e]));
  const full = featureGraph(edges);
  for (const k of known) {
    const e = byKey.get(k);
    if (!e) problems.push(`known back-reference no longer exists, delete it from KNOWN_BACK_REFERENCES: ${k}`);
    else if (!shortestPath(full, e.toFeature, e.fromFeature))
      problems.push(
        `known back-reference no longer closes a cycle (${e.toFeature} does not depend on ${e.fromFeature} any more), delete it from KNOWN_BACK_REFERENCES: ${k}`,
      );
  }
  const knownSet = new Set(known);
  const remaining = edges.filter((e) => !knownSet.has(edgeKey(e)));
  for (const cycle of featureCycles(featureGraph(remaining))) {
    const hops = cycle.map((f, i) => describeHop(remaining, f, cycle[(i + 1) % cycle.length]));
    problems.push(`import cycle: ${[...cycle, cycle[0]].join(' -> ')}\n${hops.join('\n')}`);
  }
  return problems;
}

/**
 * A starting list of known back-references: the file-level imports that lie on
 * a cycle and point up LAYERS. Used to seed (and re-seed) KNOWN_BACK_REFERENCES;
 * `checkImportDirection(edges, proposeKnown(edges))` tells whether it suffices.
 */
export function proposeKnown(edges: readonly ImportEdge[]): KnownEdge[] {
  const g = featureGraph(edges);
  const comp = new Map<string, number>();
  stronglyConnected(g).forEach((c, i) => c.forEach((f) => comp.set(f, i)));
  return edges.filter((e) => comp.get(e.fromFeature) === comp.get(e.toFeature) && pointsUp(e.fromFeature, e.toFeature)).map(edgeKey);
}

/** Nest module edges: each `@Module()` class → the `src/` modules its `imports` list names. */
export function collectModuleEdges(root = REPO_ROOT, files = parseTree(root)): { modules: Map<string, string>; edges: ModuleEdge[] } {
  const byPath = new Map(files.map((f) => [f.path, f]));
  // Module class name → feature, and (file, name) → class declaration.
  const moduleClasses = new Map<string, ts.ClassDeclaration>();
  const modules = new Map<string, string>();
  const moduleDecorator = (c: ts.ClassDeclaration): ts.ObjectLiteralExpression | null | undefined => {
    for (const d of ts.getDecorators(c) ?? []) {
      if (ts.isCallExpression(d.expression) && ts.isIdentifier(d.expression.expression) && d.expression.expression.text === 'Module') {
        const arg = d.expression.arguments[0];
        return arg && ts.isObjectLiteralExpression(arg) ? arg : null;
      }
    }
    return undefined;
  };
  for (const f of files) {
    f.source.forEachChild((n) => {
      if (ts.isClassDeclaration(n) && n.name && moduleDecorator(n) !== undefined) {
        moduleClasses.set(`${f.path}#${n.name.text}`, n);
        modules.set(n.name.text, featureOf(f.path)!);
      }
    });
  }
  // What an identifier in `file` names: a module class, or a constant array to expand.
  const lookup = (file: ParsedFile, name: string, depth = 0): { module?: string; array?: { file: ParsedFile; init: ts.Expression } } => {
    if (depth > 5) return {};
    if (moduleClasses.has(`${file.path}#${name}`)) return { module: name };
    for (const st of file.source.statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { array: { file, init: d.initializer } };
    }
    const b = file.bindings.get(name);
    const target = b && byPath.get(b.file);
    return target ? lookup(target, b.name, depth + 1) : {};
  };
  const edges = new Set<string>();
  const collect = (file: ParsedFile, expr: ts.Node, from: string, depth = 0): void => {
    if (ts.isIdentifier(expr)) {
      const hit = lookup(file, expr.text);
      if (hit.module && hit.module !== from) edges.add(`${from}\n${hit.module}`);
      else if (hit.array && depth < 5) collect(hit.array.file, hit.array.init, from, depth + 1);
      return;
    }
    // Property names (`.forRoot`, `{ name: … }`) are not references.
    if (ts.isPropertyAccessExpression(expr)) return collect(file, expr.expression, from, depth);
    if (ts.isPropertyAssignment(expr)) return collect(file, expr.initializer, from, depth);
    ts.forEachChild(expr, (c) => collect(file, c, from, depth));
  };
  for (const f of files) {
    f.source.forEachChild((n) => {
      if (!ts.isClassDeclaration(n) || !n.name) return;
      const config = moduleDecorator(n);
      if (!config) return;
      for (const p of config.properties)
        if (ts.isPropertyAssignment(p) && p.name.getText(f.source) === 'imports') collect(f, p.initializer, n.name.text);
    });
  }
  const list = [...edges].sort().map((k) => {
    const [from, to] = k.split('\n');
    return { from, to };
  });
  return { modules, edges: list };
}

/** Features in drawing order: LAYERS order (top first), then unlisted ones alphabetically. */
function orderFeatures(features: Iterable<string>): string[] {
  const rank = (f: string): number => layerRank(f) ?? -1;
  return [...features].sort((a, b) => rank(b) - rank(a) || byText(a, b));
}

const nodeId = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Mermaid flowchart of the feature graph: dashed when every import is
 * type-only, red when on a cycle. The entry points' edges (`app` imports what it
 * assembles) are left out of the drawing to keep it readable; the table has them.
 */
export function featureMermaid(edges: readonly ImportEdge[], features: Iterable<string>): string {
  const g = featureGraph(edges, features);
  const onCycle = new Set<string>();
  for (const comp of stronglyConnected(g)) for (const u of comp) for (const v of g.get(u)!) if (comp.includes(v)) onCycle.add(`${u}\n${v}`);
  const lines = ['```mermaid', 'flowchart TD'];
  for (const f of orderFeatures(g.keys())) if (f !== APP_FEATURE) lines.push(`  ${nodeId(f)}[${f}]`);
  const red: number[] = [];
  let n = 0;
  for (const u of orderFeatures(g.keys())) {
    if (u === APP_FEATURE) continue;
    for (const v of orderFeatures(g.get(u)!)) {
      const typeOnly = edges.filter((e) => e.fromFeature === u && e.toFeature === v).every((e) => e.typeOnly);
      lines.push(`  ${nodeId(u)} ${typeOnly ? '-.->' : '-->'} ${nodeId(v)}`);
      if (onCycle.has(`${u}\n${v}`)) red.push(n);
      n++;
    }
  }
  if (red.length > 0) lines.push(`  linkStyle ${red.join(',')} stroke:#d00,stroke-width:2px`);
  lines.push('```');
  return lines.join('\n');
}

/** Markdown table: each feature, the features it imports (type-only ones in italics) and those importing it. */
export function featureTable(edges: readonly ImportEdge[], features: Iterable<string>): string {
  const g = featureGraph(edges, features);
  const typeOnly = (u: string, v: string): boolean => edges.filter((e) => e.fromFeature === u && e.toFeature === v).every((e) => e.typeOnly);
  const rows = ['| feature | imports | imported by |', '| --- | --- | --- |'];
  for (const f of orderFeatures(g.keys())) {
    const out = orderFeatures(g.get(f)!).map((v) => (typeOnly(f, v) ? `_${v}_` : v));
    const into = orderFeatures([...g.keys()].filter((u) => g.get(u)!.has(f)));
    rows.push(`| ${f} | ${out.join(', ') || '—'} | ${into.join(', ') || '—'} |`);
  }
  return rows.join('\n');
}

/** Mermaid flowchart of Nest module imports, modules grouped by feature folder. */
export function moduleMermaid(modules: Map<string, string>, edges: readonly ModuleEdge[]): string {
  const lines = ['```mermaid', 'flowchart LR'];
  const byFeature = new Map<string, string[]>();
  for (const [m, f] of modules) byFeature.set(f, [...(byFeature.get(f) ?? []), m]);
  for (const f of orderFeatures(byFeature.keys())) {
    lines.push(`  subgraph f_${nodeId(f)}[${f}]`);
    for (const m of byFeature.get(f)!.sort()) lines.push(`    ${m}`);
    lines.push('  end');
  }
  for (const e of edges) lines.push(`  ${e.from} --> ${e.to}`);
  lines.push('```');
  return lines.join('\n');
}

export const DOC_PATH = join('docs', 'architecture.md');
export const START_MARKER = '<!-- module-graph:start -->';
export const END_MARKER = '<!-- module-graph:end -->';

/** The generated section (between the markers, markers excluded) for the tree at `root`. */
export function renderSection(root = REPO_ROOT): string {
  const files = parseTree(root);
  const imports = collectImportEdges(root, files);
  const features = new Set(files.map((f) => featureOf(f.path)!));
  const { modules, edges } = collectModuleEdges(root, files);
  return [
    '<!-- Generated by `npm run docs:module-graph` (scripts/module-graph.ts) from the imports; do not edit by hand. -->',
    '',
    `Features (folders of \`src/\`; \`${APP_FEATURE}\` is the entry points in \`src/*.ts\` and \`src/cli/\`) and the features`,
    'they import. A dashed arrow is type-only imports; a red arrow lies on a cycle (a back-reference still to remove).',
    `The entry points (\`${APP_FEATURE}\`) are left out of the drawing; the table below it lists every edge.`,
    '',
    featureMermaid(imports, features),
    '',
    featureTable(imports, features),
    '',
    'Nest modules and the modules each one lists in `imports`:',
    '',
    moduleMermaid(modules, edges),
  ].join('\n');
}

/** The section as it currently stands in the doc, or null when the markers are missing. */
export function readSection(doc: string): string | null {
  const start = doc.indexOf(START_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start < 0 || end < start) return null;
  return doc.slice(start + START_MARKER.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** `doc` with the section between the markers replaced by `section`. */
export function replaceSection(doc: string, section: string): string {
  const start = doc.indexOf(START_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`${DOC_PATH} lacks the markers ${START_MARKER} … ${END_MARKER}`);
  return `${doc.slice(0, start + START_MARKER.length)}\n${section}\n${doc.slice(end)}`;
}

if (require.main === module) {
  const section = renderSection();
  if (process.argv.includes('--write')) {
    const path = join(REPO_ROOT, DOC_PATH);
    writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), section));
    process.stdout.write(`module graph written to ${DOC_PATH}\n`);
  } else if (process.argv.includes('--propose')) {
    for (const k of proposeKnown(collectImportEdges())) process.stdout.write(`  '${k}',\n`);
  } else if (process.argv.includes('--check')) {
    const problems = checkImportDirection(collectImportEdges());
    process.stdout.write(problems.length === 0 ? 'imports point down: no cycles\n' : `${problems.join('\n\n')}\n`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } else {
    process.stdout.write(`${section}\n`);
  }
}
