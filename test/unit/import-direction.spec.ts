import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkImportDirection, collectImportEdges, collectModuleEdges, edgeKey, type KnownEdge } from '../../scripts/module-graph';

/**
 * Imports that close a cycle in the feature graph today, each the hop that
 * points up the intended layering (LAYERS in scripts/module-graph.ts: a lower
 * feature importing a higher one). They are being removed (issue 14): delete
 * an entry when its import goes. The test fails when an entry no longer exists
 * or no longer closes a cycle, so this list can only shrink; it also fails on
 * any cycle these entries do not explain, i.e. on every new back-reference.
 * Re-seed with `node -r ts-node/register/transpile-only scripts/module-graph.ts --propose`.
 */
const KNOWN_BACK_REFERENCES: readonly KnownEdge[] = [
];

describe('imports point down (the feature import graph of src/ is acyclic)', () => {
  it('has no cycle beyond the known back-references, and every known back-reference still closes one', () => {
    const problems = checkImportDirection(collectImportEdges(), KNOWN_BACK_REFERENCES);
    if (problems.length > 0) {
      throw new Error(
        `A feature imports from a feature that depends on it (docs/architecture.md, "imports point down"):\n\n${problems.join('\n\n')}`,
      );
    }
  });
});

/** Writes a tiny source tree into a temp dir and returns its root. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'module-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the import-direction checker', () => {
  const roots: string[] = [];
  const make = (files: Record<string, string>): string => {
    const root = tree(files);
    roots.push(root);
    return root;
  };
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  const layered = {
    'src/common/problem.ts': 'export class Problem {}\n',
    'src/auth/principal.ts': "import { Problem } from '../common/problem';\nexport interface Principal { id: string }\nexport const p = Problem;\n",
    'src/auth/auth.guard.ts': "import type { Principal } from './principal';\nexport class AuthGuard { p?: Principal }\n",
    'src/users/users.service.ts': "import { AuthGuard } from '../auth/auth.guard';\nexport const g = AuthGuard;\n",
    'src/main.ts': "import './users/users.service';\nimport { g } from './users/users.service';\nexport default g;\n",
  };

  it('accepts a tree whose imports point down, and reads each cross-feature import with its file and feature', () => {
    const root = make(layered);
    const edges = collectImportEdges(root);
    expect(edges.map((e) => [edgeKey(e), e.fromFeature, e.toFeature])).toEqual([
      ['src/auth/principal.ts -> src/common/problem.ts', 'auth', 'common'],
      ['src/main.ts -> src/users/users.service.ts', 'app', 'users'],
      ['src/users/users.service.ts -> src/auth/auth.guard.ts', 'users', 'auth'],
    ]);
    expect(checkImportDirection(edges)).toEqual([]);
  });

  it('reports a back-reference as a cycle path with the file-level import that makes it', () => {
    const root = make({ ...layered, 'src/common/uses-auth.ts': "import type { Principal } from '../auth/principal';\nexport type P = Principal;\n" });
    const problems = checkImportDirection(collectImportEdges(root));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^import cycle: auth -> common -> auth\n/);
    expect(problems[0]).toContain('common -> auth [points up the intended layering]: src/common/uses-auth.ts imports type ../auth/principal');
    expect(problems[0]).toContain('auth -> common: src/auth/principal.ts imports ../common/problem');
  });

  it('reports a transitive cycle through three features', () => {
    const root = make({ ...layered, 'src/common/x.ts': "export * from '../users/users.service';\n" });
    const problems = checkImportDirection(collectImportEdges(root));
    expect(problems).toEqual([expect.stringMatching(/^import cycle: auth -> common -> users -> auth\n/)]);
    expect(problems[0]).toContain('src/common/x.ts imports ../users/users.service');
  });

  it('reports a cycle between features the intended layering does not list, and each independent cycle', () => {
    const root = make({
      ...layered,
      'src/alpha/a.ts': "import { b } from '../beta/b';\nexport const a = b;\n",
      'src/beta/b.ts': "import type { a } from '../alpha/a';\nexport const b = 1 as unknown as typeof a;\n",
      'src/common/x.ts': "import { AuthGuard } from '../auth/auth.guard';\nexport const x = AuthGuard;\n",
    });
    const problems = checkImportDirection(collectImportEdges(root));
    expect(problems.map((p) => p.split('\n')[0])).toEqual(['import cycle: alpha -> beta -> alpha', 'import cycle: auth -> common -> auth']);
    expect(problems[0]).toContain('beta -> alpha: src/beta/b.ts imports type ../alpha/a');
  });

  it('excuses a known back-reference, but not a second import between the same features', () => {
    const known = 'src/common/uses-auth.ts -> src/auth/principal.ts';
    const withOne = make({ ...layered, 'src/common/uses-auth.ts': "import { p } from '../auth/principal';\nexport const q = p;\n" });
    expect(checkImportDirection(collectImportEdges(withOne), [known])).toEqual([]);

    const withTwo = make({
      ...layered,
      'src/common/uses-auth.ts': "import { p } from '../auth/principal';\nexport const q = p;\n",
      'src/common/also.ts': "export const x = import('../auth/auth.guard');\n",
    });
    const problems = checkImportDirection(collectImportEdges(withTwo), [known]);
    expect(problems).toEqual([expect.stringContaining('src/common/also.ts imports ../auth/auth.guard')]);
  });

  it('fails on a known back-reference that no longer exists or no longer closes a cycle, so the list cannot go stale', () => {
    const root = make(layered);
    const problems = checkImportDirection(collectImportEdges(root), [
      'src/common/gone.ts -> src/auth/principal.ts',
      'src/users/users.service.ts -> src/auth/auth.guard.ts',
    ]);
    expect(problems).toEqual([
      'known back-reference no longer exists, delete it from KNOWN_BACK_REFERENCES: src/common/gone.ts -> src/auth/principal.ts',
      expect.stringMatching(/^known back-reference no longer closes a cycle \(auth does not depend on users any more\).*users\.service\.ts -> src\/auth\/auth\.guard\.ts$/),
    ]);
  });

  it('reads every import form: side-effect, export-from, import(), import type, index files; specs are not code', () => {
    const root = make({
      'src/common/index.ts': 'export const c = 1;\n',
      'src/common/util.ts': 'export type U = number;\n',
      'src/config/a.ts': "import '../redis/side';\nexport * from '../database/db';\nexport { type U } from '../common/util';\n",
      'src/redis/side.ts': 'export {};\n',
      'src/database/db.ts': "export type T = import('../common').X;\n",
      'src/kms/k.ts': "import { c } from '../common';\nexport const k = c;\n",
      'src/kms/k.spec.ts': "import '../auth/a';\n",
      'src/cli/tool.ts': "import { k } from '../kms/k';\nexport const t = k;\n",
    });
    const edges = collectImportEdges(root);
    expect(edges.map((e) => `${edgeKey(e)} (${e.fromFeature}->${e.toFeature}${e.typeOnly ? ', type' : ''})`)).toEqual([
      'src/cli/tool.ts -> src/kms/k.ts (app->kms)',
      'src/config/a.ts -> src/common/util.ts (config->common, type)',
      'src/config/a.ts -> src/database/db.ts (config->database)',
      'src/config/a.ts -> src/redis/side.ts (config->redis)',
      'src/database/db.ts -> src/common/index.ts (database->common, type)',
      'src/kms/k.ts -> src/common/index.ts (kms->common)',
    ]);
  });

  it('reads Nest module imports, through forRoot calls, forwardRef and spread constant arrays', () => {
    const root = make({
      'src/redis/redis.module.ts': "@Module({})\nexport class RedisModule { static forRoot() { return { module: RedisModule }; } }\n",
      'src/auth/auth.module.ts':
        "import { RedisModule } from '../redis/redis.module';\nimport { UsersModule } from '../users/users.module';\n" +
        '@Module({ imports: [RedisModule.forRoot(), forwardRef(() => UsersModule), ExternalModule.forFeature([{ name: X }])] })\nexport class AuthModule {}\n',
      'src/users/users.module.ts': '@Module({ providers: [] })\nexport class UsersModule {}\n',
      'src/app.module.ts': "import { RedisModule as R } from './redis/redis.module';\nexport const CORE = [R];\n",
      'src/worker.module.ts': "import { CORE } from './app.module';\nimport { AuthModule } from './auth/auth.module';\n@Module({ imports: [...CORE, AuthModule] })\nexport class WorkerModule {}\n",
    });
    const { modules, edges } = collectModuleEdges(root);
    expect(Object.fromEntries(modules)).toEqual({ RedisModule: 'redis', AuthModule: 'auth', UsersModule: 'users', WorkerModule: 'app' });
    expect(edges).toEqual([
      { from: 'AuthModule', to: 'RedisModule' },
      { from: 'AuthModule', to: 'UsersModule' },
      { from: 'WorkerModule', to: 'AuthModule' },
      { from: 'WorkerModule', to: 'RedisModule' },
    ]);
  });
});
