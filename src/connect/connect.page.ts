import type { ConnectOutcome, ConnectPageSession } from './connect.service';

/**
 * Server-rendered HTML of the hosted connect page. No scripts and no inline styles (the page's CSP
 * forbids both); every dynamic value is escaped here, in one place. The client's display name is
 * admin-supplied text: it is only ever written through escape(), never as markup.
 */
const escape = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Seconds the final page stays before it sends the browser back to the client's return URL. */
export const RETURN_REDIRECT_DELAY_S = 5;

/** The page's CSP: stricter than the gateway's global one (no inline styles, forms only to this origin). */
export const CONNECT_PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The CSP of a page that shows `session`'s client: the strict one, plus exactly the origin of the client's
 * logo in `img-src` (no other image host, no other directive). A URL's origin holds no space, quote or
 * `;`, so it cannot add a directive.
 */
export function connectPageCsp(session: ConnectPageSession | null): string {
  const logo = session?.client.logoUrl;
  return logo ? CONNECT_PAGE_CSP.replace("img-src 'self'", `img-src 'self' ${new URL(logo).origin}`) : CONNECT_PAGE_CSP;
}

const PERMS_TEXT: Record<string, string> = {
  read: 'see your photos and account details, including private ones',
  write: 'see your photos and upload, edit and replace them',
  delete: 'see, upload, edit, replace and delete your photos',
};

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${head}<title>${escape(title)}</title>
<link rel="stylesheet" href="/connect/assets/connect.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The client's logo (decorative: its name is in the heading next to it), or nothing. */
function logo(session: ConnectPageSession): string {
  const url = session.client.logoUrl;
  return url ? `<img class="logo" id="logo" src="${escape(url)}" alt="">\n` : '';
}

function whoAndWhat(session: ConnectPageSession): string {
  return `<dl>
<dt>Application</dt><dd id="client">${escape(session.client.name)}</dd>
<dt>Your account there</dt><dd id="user">${escape(session.user_id)}</dd>
<dt>Access it asks for</dt><dd id="perms"><strong>${escape(session.perms)}</strong>: ${escape(PERMS_TEXT[session.perms] ?? '')}</dd>
</dl>`;
}

/** The first page: what is being connected, and the way on to Flickr. */
export function overviewPage(session: ConnectPageSession, token: string): string {
  const name = session.client.name;
  return layout(
    `${name} wants to connect your Flickr account`,
    `${logo(session)}<h1><span id="app-name">${escape(name)}</span> wants to connect your Flickr account</h1>
<p><strong>${escape(name)}</strong> asks to use your Flickr account through this gateway.</p>
${whoAndWhat(session)}
<p>Flickr will ask you to sign in and approve. Your Flickr password is never shared with the application.</p>
<p><a class="button" id="continue" href="/connect/${escape(token)}/start">Continue to Flickr</a></p>
${session.mode === 'oob' ? '<p class="hint">Flickr will then show you a 9-digit code; you type it in on the next page.</p>' : ''}`,
  );
}

/** PIN mode: the link to Flickr's approval page (a new tab) and the form for the code it shows. */
export function pinPage(session: ConnectPageSession, token: string, error?: string): string {
  const errorBlock = error ? `<p class="error" id="pin-error" role="alert">${escape(error)}</p>` : '';
  return layout(
    error ? 'Error: enter the code from Flickr' : 'Enter the code from Flickr',
    `${logo(session)}<h1>Enter the code from Flickr</h1>
${whoAndWhat(session)}
<ol>
<li><a id="authorize" href="${escape(session.authorize_url ?? '#')}" target="_blank" rel="noopener noreferrer">Open Flickr's approval page</a> (a new tab), sign in and choose "OK, I'll authorize it".</li>
<li>Flickr shows a code such as <samp>123-456-789</samp>. Type it below.</li>
</ol>
<form method="post" action="/connect/${escape(token)}/pin" enctype="text/plain">
${errorBlock}
<label for="pin">Code from Flickr</label>
<input id="pin" name="pin" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="20"${error ? ' aria-invalid="true" aria-describedby="pin-error"' : ''}>
<button type="submit" id="submit">Connect</button>
</form>
<p><a href="/connect/${escape(token)}/cancel" id="cancel">Cancel</a></p>`,
  );
}

/**
 * The end: connected or failed. With a return URL the page sends the browser back by itself after
 * RETURN_REDIRECT_DELAY_S seconds (a meta refresh: no script), says so, and keeps the link for whoever
 * wants to go at once or whose browser does not follow refreshes.
 */
export function resultPage(session: ConnectPageSession, outcome: ConnectOutcome, returnTarget: string | null): string {
  const name = escape(session.client.name);
  const refresh = returnTarget ? `<meta http-equiv="refresh" content="${RETURN_REDIRECT_DELAY_S};url=${escape(returnTarget)}">\n` : '';
  const back = returnTarget
    ? `<p id="redirect-note" role="status">Taking you back to ${name} in ${RETURN_REDIRECT_DELAY_S} seconds.</p>
<p><a class="button" id="return" href="${escape(returnTarget)}">Return to ${name} now</a></p>`
    : '<p>You can close this window.</p>';
  return outcome.status === 'connected'
    ? layout('Flickr account connected', `${logo(session)}<h1 id="outcome">Your Flickr account is connected</h1>\n${whoAndWhat(session)}\n${back}`, refresh)
    : layout(
        'Connection failed',
        `${logo(session)}<h1 id="outcome">Your Flickr account was not connected</h1>\n<p>${FAILURE_TEXT[outcome.error]} Ask ${name} for a new link to try again.</p>\n${back}`,
        refresh,
      );
}

const FAILURE_TEXT: Record<Extract<ConnectOutcome, { status: 'failed' }>['error'], string> = {
  cancelled: 'The connection was cancelled.',
  attempts_exhausted: 'Too many codes were not accepted by Flickr.',
  not_confirmed: 'Flickr did not confirm the connection (it expired, was refused, or was approved in another browser).',
};

/** An unknown, expired or used link: one message for all, so a link reveals nothing about other sessions. */
export function invalidLinkPage(): string {
  return layout(
    'This link cannot be used',
    `<h1 id="outcome">This link cannot be used</h1>
<p>The connect link is invalid, has expired, or has already been used. Links work once and for a limited time.</p>
<p>Go back to the application that sent you here and ask for a new link.</p>`,
  );
}

/** Flickr (or the gateway) failed on the way: the link stays usable until it expires. */
export function unavailablePage(token: string): string {
  return layout(
    'Flickr could not be reached',
    `<h1 id="outcome">Flickr could not be reached</h1>
<p>Nothing was connected. Please try again in a moment.</p>
<p><a class="button" href="/connect/${escape(token)}">Try again</a></p>`,
  );
}

/** The page's stylesheet (served from this origin: the CSP allows no inline styles). */
export const CONNECT_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; padding: 2rem 1rem; }
main { max-width: 36rem; margin: 0 auto; }
h1 { font-size: 1.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.button, button { display: inline-block; padding: .6rem 1.2rem; border-radius: .4rem; border: 0; background: #0063dc; color: #fff; font: inherit; text-decoration: none; cursor: pointer; }
.button:focus-visible, button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #ff0084; outline-offset: 2px; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { font: inherit; font-size: 1.25rem; letter-spacing: .1em; padding: .4rem; margin: .25rem 0 1rem; width: 12ch; }
.error { color: #b00020; font-weight: 600; }
.hint { color: GrayText; }
.logo { display: block; max-height: 64px; max-width: 12rem; width: auto; margin-bottom: 1rem; }
`;
