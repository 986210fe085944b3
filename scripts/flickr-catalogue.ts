/**
 * Generates the Flickr method catalogue (src/flickr/flickr.catalogue.json)
 * from the typed REST definitions the official `flickr-sdk` package ships
 * (`dist/services/rest/flickr.*.d.ts`, themselves generated from Flickr's
 * reflection API): name, description, required permission, and each
 * parameter with its optionality. Parsed with the TypeScript compiler API, so
 * nothing is written by hand. The gateway's own rules are then applied to each
 * method (read/write class, idempotency, default cache TTL, gateway-owned
 * methods; see the rules section below and docs/flickr.md). Re-run after
 * upgrading flickr-sdk or changing a rule:
 *
 *   node -r ts-node/register/transpile-only scripts/flickr-catalogue.ts
 *
 * test/unit/flickr-catalogue.spec.ts fails when the checked-in catalogue and
 * the installed SDK disagree.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { FlickrCatalogueFile, FlickrCatalogueMethod, FlickrCatalogueParam, FlickrMethodClass, FlickrPermission } from '../src/flickr/flickr.methods';

export type { FlickrCatalogueFile, FlickrCatalogueMethod as CatalogueMethod, FlickrCatalogueParam as CatalogueParam, FlickrPermission };

/** Where the installed flickr-sdk keeps its REST method definitions. */
export function sdkRestDir(): string {
  return join(dirname(require.resolve('flickr-sdk/package.json')), 'dist', 'services', 'rest');
}

/** The catalogue as the installed SDK defines it, sorted by method name. */
export function generateCatalogue(dir = sdkRestDir()): FlickrCatalogueFile {
  const methods = readdirSync(dir)
    .filter((f) => /^flickr\..+\.d\.ts$/.test(f) && !f.endsWith('.response.d.ts'))
    .map((f) => enrich(parseMethod(readFileSync(join(dir, f), 'utf8'))))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sdkVersion = (JSON.parse(readFileSync(require.resolve('flickr-sdk/package.json'), 'utf8')) as { version: string }).version;
  return { sdkVersion, methods };
}

/** What the SDK says about a method, before the gateway's rules are applied. */
type SdkMethod = Pick<FlickrCatalogueMethod, 'name' | 'description' | 'permission' | 'params'>;

function parseMethod(source: string): SdkMethod {
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
  const params: FlickrCatalogueParam[] = [];
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


// ---------------------------------------------------------------------------
// The gateway's rules, applied to what the SDK says. Documented in docs/flickr.md
// ("The method catalogue"); change them here and re-run the script.
// ---------------------------------------------------------------------------

/**
 * Verbs (the last segment of the name) of methods that only read. Class rule:
 * a method needing `write` or `delete` is a write; one needing `none` or `read`
 * is a read when its verb is one of these, otherwise a write (flickr.push.subscribe
 * and unsubscribe need only `read` but change the user's subscriptions).
 */
const READ_VERB = /^(get|search|find|lookup|resolve|check|echo|login|null|recentlyUpdated|userComments|userPhotos|placesFor|photosFor|tagsFor)/;

/**
 * Writes that leave the same state when repeated (the repeat may answer an error
 * such as "already a favourite", never a second object): setting, editing,
 * removing, deleting, reordering, joining or leaving, approving or rejecting,
 * (un)subscribing, and adding something to a set it is either in or not (tags,
 * a photo to an album, gallery or pool, a favourite, a person on a photo).
 * Every other write is not idempotent: it creates something (create, comments,
 * notes, discussion topics and replies, testimonials, location suggestions),
 * sends a message (postPhoto, joinRequest) or is relative (transform.rotate).
 * The default is "not idempotent", so a new SDK method is never wrongly retryable.
 */
const IDEMPOTENT_WRITE_VERB = /^(set|edit|remove|delete|reorder|orderSets$|correctLocation$|batchCorrectLocation$|join$|leave$|approve|reject|subscribe$|unsubscribe$|addTags$|addPhoto$)/;
const IDEMPOTENT_WRITE_NAMES = new Set(['flickr.favorites.add', 'flickr.groups.pools.add', 'flickr.photos.people.add']);

/** Reads not listed below are cached this long: short, since most answers show the user's own changing data. */
const DEFAULT_READ_TTL_S = 60;

/**
 * Default cache lifetimes of reads, by exact name or by family (a prefix ending
 * in a dot); the longest match wins. Overridable per method with
 * FLICKR_CACHE_TTL_OVERRIDES.
 */
const READ_TTL_S: ReadonlyArray<[string, number]> = [
  // Mappings and reference data that practically never change.
  ['flickr.urls.', 86_400],
  ['flickr.reflection.', 86_400],
  ['flickr.cameras.', 86_400],
  ['flickr.commons.', 86_400],
  ['flickr.photos.licenses.getInfo', 86_400],
  ['flickr.places.getPlaceTypes', 86_400],
  ['flickr.blogs.getServices', 86_400],
  ['flickr.push.getTopics', 86_400],
  // Geography and machine-tag vocabularies change slowly.
  ['flickr.places.', 3_600],
  ['flickr.machinetags.', 3_600],
  // Flickr computes statistics daily, and asks that activity be polled at most hourly.
  ['flickr.stats.', 3_600],
  ['flickr.activity.', 3_600],
  // The user's own places follow their uploads.
  ['flickr.places.placesForUser', 300],
  ['flickr.places.placesForContacts', 300],
  // Descriptions of one object: change when someone edits them.
  ['flickr.people.getInfo', 300],
  ['flickr.profile.', 300],
  ['flickr.photos.getInfo', 300],
  ['flickr.photos.getSizes', 300],
  ['flickr.photos.getExif', 300],
  ['flickr.groups.getInfo', 300],
  ['flickr.galleries.getInfo', 300],
  ['flickr.photosets.getInfo', 300],
  ['flickr.collections.getInfo', 300],
  ['flickr.prefs.', 300],
  ['flickr.photosets.', 120],
  // Searches and feeds: short.
  ['flickr.photos.search', 60],
  ['flickr.groups.search', 60],
  ['flickr.photos.getRecent', 60],
  ['flickr.interestingness.', 60],
  // Upload tickets are polled for a change: caching would hide it.
  ['flickr.photos.upload.checkTickets', 0],
];

/**
 * Methods the gateway owns and never proxies, by exact name or family (a
 * prefix ending in a dot); the longest match gives the reason. Uploads and
 * replaces are not REST methods (no SDK definition): src/flickr/flickr.methods.ts
 * answers them as gateway-owned too.
 */
const GATEWAY_OWNED: ReadonlyArray<[string, string]> = [
  [
    'flickr.auth.',
    "Flickr's retired pre-OAuth authentication (frobs, mini-tokens, auth tokens): the gateway connects users with OAuth 1.0a (POST /v1/oauth/start) and holds their tokens itself.",
  ],
  [
    'flickr.auth.oauth.',
    "Exchanges or inspects a user's OAuth token, which only the gateway holds: connect users with POST /v1/oauth/start; GET /v1/users/{user_id} shows the connection and its permission.",
  ],
  [
    'flickr.test.echo',
    "Echoes every parameter of the signed request back, including the gateway's consumer key and the user's OAuth access token: it would expose credentials. Use flickr.test.null or flickr.test.login to test a connection.",
  ],
];

/** The longest entry of `table` matching `name` (exactly, or as a family prefix ending in a dot). */
function longestMatch<T>(table: ReadonlyArray<[string, T]>, name: string): T | undefined {
  let best: [string, T] | undefined;
  for (const entry of table) {
    const [key] = entry;
    const matches = key.endsWith('.') ? name.startsWith(key) : name === key;
    if (matches && (!best || key.length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/** The class of a method: see READ_VERB. */
export function classOf(name: string, permission: FlickrPermission): FlickrMethodClass {
  if (permission === 'write' || permission === 'delete') return 'write';
  return READ_VERB.test(name.slice(name.lastIndexOf('.') + 1)) ? 'read' : 'write';
}

/** Adds the gateway's rules (class, idempotency, cache TTL, ownership) to a method the SDK defines. */
function enrich(m: SdkMethod): FlickrCatalogueMethod {
  const cls = classOf(m.name, m.permission);
  const verb = m.name.slice(m.name.lastIndexOf('.') + 1);
  const idempotent = cls === 'read' || IDEMPOTENT_WRITE_VERB.test(verb) || IDEMPOTENT_WRITE_NAMES.has(m.name);
  const cacheTtlSeconds = cls === 'read' ? (longestMatch(READ_TTL_S, m.name) ?? DEFAULT_READ_TTL_S) : 0;
  const gatewayOwned = longestMatch(GATEWAY_OWNED, m.name);
  return {
    name: m.name,
    description: m.description,
    permission: m.permission,
    class: cls,
    idempotent,
    cacheTtlSeconds,
    ...(gatewayOwned ? { gatewayOwned } : {}),
    params: m.params,
  };
}

if (require.main === module) {
  const out = join(__dirname, '..', 'src', 'flickr', 'flickr.catalogue.json');
  const catalogue = generateCatalogue();
  writeFileSync(out, `${JSON.stringify(catalogue, null, 2)}\n`);
  process.stdout.write(`${catalogue.methods.length} methods from flickr-sdk ${catalogue.sdkVersion} → ${out}\n`);
}
