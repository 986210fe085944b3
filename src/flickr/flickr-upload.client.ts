import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { OAuth } from 'flickr-sdk';
import type { FlickrUserToken } from './flickr.client';
import { FlickrConfig } from './flickr.config';
import { FlickrUpstreamError } from './flickr.errors';

/** The URL flickr-sdk (and Flickr) sign uploads over; requests go to FLICKR_UPLOAD_URL. */
const SIGNED_UPLOAD_URL = 'https://up.flickr.com/services/upload';
/** The URL Flickr signs replacements over; requests go to FLICKR_UPLOAD_URL's sibling path `replace`. */
const SIGNED_REPLACE_URL = 'https://up.flickr.com/services/replace';

/** A file to send: a stream of exactly `bytes` bytes. */
export interface UploadSource {
  stream: Readable;
  bytes: number;
  filename: string;
  mediaType: string;
}

/** What Flickr answered: a photo id (sync) or a ticket id (async=1). */
export type UploadAnswer = { photoId: string } | { ticketId: string };

/**
 * Streams a file to Flickr's upload endpoint as multipart/form-data, signed
 * with OAuth 1.0a (flickr-sdk's OAuth signer; the photo is not signed, as
 * Flickr specifies). Hand-written transport because flickr-sdk's `upload`
 * takes a whole Blob or a path on local disk: it cannot send a stream, and we
 * must not hold 100 MB in memory nor stage it on a pod's disk. No rules here:
 * failures come out as FlickrUpstreamError, like FlickrClient's.
 */
@Injectable()
export class FlickrUploadClient {
  constructor(private readonly config: FlickrConfig) {}

  /** Uploads `source` as the user; `fields` are Flickr's upload arguments (title, tags, async...). */
  upload(token: FlickrUserToken, fields: Record<string, string>, source: UploadSource, timeoutMs: number): Promise<UploadAnswer> {
    return this.send(SIGNED_UPLOAD_URL, new URL(this.config.FLICKR_UPLOAD_URL), token, fields, source, timeoutMs);
  }

  /**
   * Replaces the bytes of the user's photo `photoId` with `source` (Flickr's replace API: the photo keeps its id,
   * title, tags and the rest; `fields` are `async` only). Sent to the `replace` path next to FLICKR_UPLOAD_URL.
   */
  replace(token: FlickrUserToken, photoId: string, fields: Record<string, string>, source: UploadSource, timeoutMs: number): Promise<UploadAnswer> {
    const target = new URL(this.config.FLICKR_UPLOAD_URL);
    target.pathname = target.pathname.replace(/\/upload\/?$/, '/replace');
    return this.send(SIGNED_REPLACE_URL, target, token, { ...fields, photo_id: photoId }, source, timeoutMs);
  }

  /** The shared request: fields signed over `signedUrl`, the file streamed after them to `target`. */
  private async send(signedUrl: string, target: URL, token: FlickrUserToken, fields: Record<string, string>, source: UploadSource, timeoutMs: number): Promise<UploadAnswer> {
    // Signed with the app the token was issued to (a client's own Flickr app), else the gateway's.
    const oauth = token.consumer ? new OAuth(token.consumer.consumerKey, token.consumer.consumerSecret) : new OAuth(this.config.FLICKR_CONSUMER_KEY ?? '', this.config.FLICKR_CONSUMER_SECRET ?? '');
    const oauthParams: Record<string, string> = { ...oauth.params(), oauth_token: token.oauthToken };
    const signature = oauth.signature('POST', signedUrl, { ...fields, ...oauthParams }, token.oauthTokenSecret);
    const authorization =
      'OAuth ' +
      Object.entries({ ...oauthParams, oauth_signature: signature })
        .map(([k, v]) => `${encodeURIComponent(k)}="${encodeURIComponent(v)}"`)
        .join(', ');

    const boundary = `----fgw${randomBytes(12).toString('hex')}`;
    const head = Buffer.from(
      Object.entries(fields)
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${source.filename.replace(/["\r\n]/g, '_')}"\r\n` +
        `Content-Type: ${source.mediaType}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + source.bytes + tail.length),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    async function* body() {
      yield head;
      yield* source.stream;
      yield tail;
    }
    try {
      // pipeline gives backpressure end to end: GridFS is read only as fast as Flickr takes the bytes.
      await Promise.all([pipeline(Readable.from(body()), req), response]);
      const res = await response;
      const text = await readText(res);
      if ((res.statusCode ?? 0) !== 200) throw new FlickrUpstreamError('http', `Flickr answered HTTP ${res.statusCode}`, res.statusCode);
      return parseUploadAnswer(text);
    } catch (error) {
      source.stream.destroy();
      req.destroy();
      if (error instanceof FlickrUpstreamError) throw error;
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new FlickrUpstreamError('timeout', 'Flickr did not answer in time');
      throw new FlickrUpstreamError('network', 'Flickr could not be reached');
    }
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    text += chunk as string;
    if (text.length > 64 * 1024) break; // an upload answer is a few hundred bytes
  }
  return text;
}

/** Reads Flickr's small XML upload answer (`<photoid>`, `<ticketid>` or `<err code msg>`). */
export function parseUploadAnswer(xml: string): UploadAnswer {
  const err = /<err\s+code="(\d+)"\s+msg="([^"]*)"/.exec(xml);
  if (/stat="fail"/.test(xml) || err) {
    throw new FlickrUpstreamError('fail', err?.[2] ?? 'Flickr refused the upload', 200, Number(err?.[1] ?? 0));
  }
  const ticket = /<ticketid>([^<]+)<\/ticketid>/.exec(xml);
  if (ticket) return { ticketId: ticket[1].trim() };
  const photo = /<photoid[^>]*>([^<]+)<\/photoid>/.exec(xml);
  if (photo) return { photoId: photo[1].trim() };
  throw new FlickrUpstreamError('http', 'Flickr answered an unreadable upload response', 200);
}
