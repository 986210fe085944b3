import { Readable } from 'node:stream';
import { loadSlice } from '../../src/config/env.validation';
import { FlickrClient } from '../../src/flickr/flickr.client';
import { FlickrConfig } from '../../src/flickr/flickr.config';
import { FlickrUpstreamError } from '../../src/flickr/flickr.errors';
import { FlickrUploadClient } from '../../src/flickr/flickr-upload.client';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';

/** The streaming upload transport against the fake Flickr (real HTTP, real OAuth signature check). */
describe('FlickrUploadClient (fake Flickr)', () => {
  let fake: FakeFlickr;
  let uploader: FlickrUploadClient;
  let token: { oauthToken: string; oauthTokenSecret: string };

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    const config = loadSlice(FlickrConfig, fakeFlickrEnv(fake));
    const client = new FlickrClient(config);
    uploader = new FlickrUploadClient(config);
    const { requestToken, requestTokenSecret } = await client.requestToken('oob');
    const verifier = fake.approve(requestToken, '12345678@N00', 'write');
    token = await client.accessToken(requestToken, requestTokenSecret, verifier);
  });
  afterAll(() => fake.close());

  const source = (bytes: number) => ({ stream: Readable.from([Buffer.alloc(bytes, 1)]), bytes, filename: 'a b.jpg', mediaType: 'image/jpeg' });

  it('streams a signed multipart upload (sync and async) that the fake accepts', async () => {
    const sync = await uploader.upload(token, { title: 'Tëst & more', tags: 'a fgw:job=1' }, source(5000), 10_000);
    expect(sync).toEqual({ photoId: expect.any(String) });
    const photo = fake.listPhotos().find((p) => p.id === (sync as { photoId: string }).photoId);
    expect(photo).toMatchObject({ title: 'Tëst & more', tags: 'a fgw:job=1', bytes: 5000 });
    const async = await uploader.upload(token, { title: 'x', async: '1' }, source(10), 10_000);
    expect(async).toEqual({ ticketId: expect.any(String) });
  });

  it('reports Flickr refusals with their code and HTTP failures with their status', async () => {
    fake.inject({ match: '/services/upload', status: 503 });
    await expect(uploader.upload(token, {}, source(10), 10_000)).rejects.toMatchObject({ kind: 'http', httpStatus: 503 });
    const bad = { ...token, oauthToken: 'nope' };
    const err = await uploader.upload(bad, {}, source(10), 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlickrUpstreamError);
    expect(err).toMatchObject({ kind: 'fail', flickrCode: 98 });
  });
});
