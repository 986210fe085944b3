/**
 * The fake Flickr (tools/sandbox-flickr, TypeScript) in a process of its own, so the
 * upstream of the proxy benchmarks does not share an event loop with the load
 * generator. Spawned by bench/run.js with an IPC channel:
 *   -> parent: { ready: { url, consumerKey, consumerSecret, photoId } } once listening
 *   <- parent: { id, op: 'issueToken', perms } | { id, op: 'callsTo', method } | { id, op: 'close' }
 *   -> parent: { id, result }
 * Signatures are checked over Flickr's real URLs, as in the e2e tests.
 */
require('ts-node/register/transpile-only');
const { FakeFlickr, REAL_FLICKR_ORIGINS, ALICE } = require('../tools/sandbox-flickr/fake-flickr.server');

(async () => {
  const fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
  const photo = fake.addPhoto({ owner: ALICE.nsid, title: 'Golden hour over the harbour', description: 'A benchmark photo', tags: 'sunset sea harbour' });
  const ops = {
    issueToken: (m) => fake.issueToken({ perms: m.perms ?? 'read' }),
    callsTo: (m) => fake.callsTo(m.method),
    close: async () => {
      await fake.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  process.on('message', async (m) => {
    try {
      process.send({ id: m.id, result: await ops[m.op](m) });
    } catch (error) {
      process.send({ id: m.id, error: String(error) });
    }
  });
  // The parent going away ends this process too.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: { url: fake.url, consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret, photoId: photo.id } });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
