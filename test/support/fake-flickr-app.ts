import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV } from './factories/api-key.factory';
import { fakeFlickrEnv } from './factories/flickr.factory';
import { startTestApp, type TestApp } from './test-app';

/**
 * A fake Flickr answering on Flickr's real URLs and an in-process app pointed at it (cheap bcrypt),
 * with `env` on top. Returns the env the app was started with, for further processes or replicas.
 */
export async function startAppOnFakeFlickr(
  env: Record<string, string> = {},
): Promise<{ fake: FakeFlickr; t: TestApp; env: Record<string, string> }> {
  const fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
  const appEnv = { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), ...env };
  try {
    return { fake, t: await startTestApp({ env: appEnv }), env: appEnv };
  } catch (error) {
    await fake.close();
    throw error;
  }
}
