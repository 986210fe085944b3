import { ValidationProblem } from '../common/problem/problem.exception';
import { type FlickrCatalogueMethod, type FlickrPermission, flickrMethod, gatewayOwnedReason, permissionCovers } from './flickr.methods';
import { FlickrMethodGatewayOwnedProblem, FlickrParametersProblem, FlickrPermissionRequiredProblem, UnknownFlickrMethodProblem } from './flickr.errors';

/** Parameters the gateway sets itself; a caller may not override them. */
const RESERVED = /^(oauth_.*|api_key|method|format|nojsoncallback|jsoncallback|auth_token|api_sig)$/;
const MAX_PARAMS = 50;
const MAX_VALUE_LENGTH = 4096;

/**
 * The catalogue entry of a proxiable method: 400 `unknown-flickr-method` when
 * flickr-sdk defines no such REST method, 400 `flickr-method-gateway-owned`
 * (with the reason) for the methods the gateway owns.
 */
export function proxiableMethod(name: string): FlickrCatalogueMethod {
  const owned = gatewayOwnedReason(name);
  if (owned) throw new FlickrMethodGatewayOwnedProblem(name, owned);
  const method = flickrMethod(name);
  if (!method) throw new UnknownFlickrMethodProblem(name);
  return method;
}

/** A flat JSON object of scalars → Flickr's string parameters; anything else is a 400 `validation-failed`. */
export function toFlickrParams(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationProblem(['body must be a JSON object of Flickr parameters']);
  const entries = Object.entries(body as Record<string, unknown>);
  const errors: string[] = [];
  if (entries.length > MAX_PARAMS) errors.push(`at most ${MAX_PARAMS} parameters`);
  const params: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (RESERVED.test(name)) errors.push(`${name}: set by the gateway, not by the caller`);
    else if (!/^[a-z_][a-z0-9_]{0,63}$/.test(name)) errors.push(`${name}: not a Flickr parameter name`);
    else if (!['string', 'number', 'boolean'].includes(typeof value)) errors.push(`${name}: must be a string, number or boolean`);
    else if (String(value).length > MAX_VALUE_LENGTH) errors.push(`${name}: longer than ${MAX_VALUE_LENGTH} characters`);
    else params[name] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  if (errors.length > 0) throw new ValidationProblem(errors);
  return params;
}

const PARAM_SETS = new WeakMap<FlickrCatalogueMethod, { known: Set<string>; required: string[] }>();

/** The method's parameter names and its required ones, built once per method (this runs on every proxy call). */
function paramSets(method: FlickrCatalogueMethod): { known: Set<string>; required: string[] } {
  let sets = PARAM_SETS.get(method);
  if (!sets) {
    sets = { known: new Set(method.params.map((p) => p.name)), required: method.params.filter((p) => p.required).map((p) => p.name) };
    PARAM_SETS.set(method, sets);
  }
  return sets;
}

/**
 * Checks the parameters against the method's catalogue entry: every required
 * one present (an empty string counts as missing: Flickr treats it so), none
 * the method does not take. 400 `invalid-flickr-parameters` lists both.
 */
export function assertFlickrParams(method: FlickrCatalogueMethod, params: Record<string, string>): void {
  const { known, required } = paramSets(method);
  const missing = required.filter((name) => (params[name] ?? '') === '');
  const unknown = Object.keys(params).filter((name) => !known.has(name));
  if (missing.length > 0 || unknown.length > 0) throw new FlickrParametersProblem(method.name, missing, unknown.sort());
}

/**
 * Everything the proxy can check from the request alone, in order: the method,
 * the body's shape, the method's parameters. Runs before any user lookup, token
 * read, cache lookup, budget spend or upstream call.
 */
export function validateFlickrCall(name: string, body: unknown): { method: FlickrCatalogueMethod; params: Record<string, string> } {
  const method = proxiableMethod(name);
  const params = toFlickrParams(body);
  assertFlickrParams(method, params);
  return { method, params };
}

/**
 * 403 `flickr-permission-required` unless the connection's granted permission
 * covers the method's (delete ⊃ write ⊃ read; `none` methods need only a
 * connection). A granted value the gateway does not recognise counts as `read`,
 * the least a connection can have.
 */
export function assertFlickrPermission(method: FlickrCatalogueMethod, userId: string, granted: string | undefined): void {
  if (method.permission === 'none') return;
  const effective: FlickrPermission = granted === 'write' || granted === 'delete' ? granted : 'read';
  if (!permissionCovers(effective, method.permission)) throw new FlickrPermissionRequiredProblem(method.name, userId, method.permission, granted ?? 'read');
}
