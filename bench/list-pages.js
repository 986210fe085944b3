/**
 * What one page of GET /v1/users costs on a MongoDB-compatible server, as the client's list and the collection
 * grow: the list's exact query shape (client, strictly after a cursor in (created_at, user_id), sorted, limit + 1)
 * on a `users`-shaped collection with the list's indexes, in a database of its own (dropped at the end). Prints,
 * per size, the median of 5 page reads from the middle of the list and what the server's explain says it pushed
 * down (FerretDB reports filterPushdown/sortPushdown/limitPushdown; MongoDB its winning plan).
 *   node bench/list-pages.js [--uri mongodb://127.0.0.1:27018] [--limit 50]
 * GET /v1/uploads has the same shape on `upload_jobs` (client, created_at, job_id).
 */
const { MongoClient } = require('mongodb');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const uri = opt('uri', 'mongodb://127.0.0.1:27018');
const limit = Number(opt('limit', 50));
/** [documents of the listed client, documents of 50 other clients] */
const SIZES = [
  [1000, 0],
  [1000, 49000],
  [10000, 0],
];

(async () => {
  const client = await MongoClient.connect(uri);
  const db = client.db(`bench_list_pages_${process.pid}`);
  try {
    const base = Date.now() - 1e7;
    for (const [mine, others] of SIZES) {
      // A collection per size (FerretDB on SQLite cannot deleteMany 50,000 documents at once).
      const users = db.collection(`users_${mine}_${others}`);
      await users.createIndex({ client_id: 1, created_at: 1, user_id: 1 });
      await users.createIndex({ client_id: 1, 'flickr.state': 1, created_at: 1, user_id: 1 });
      const docs = [];
      for (let i = 0; i < mine; i++) docs.push({ _id: `c-0/u${i}`, client_id: 'c-0', user_id: `u${i}`, created_at: new Date(base + i), flickr: null });
      for (let i = 0; i < others; i++) docs.push({ _id: `c-${1 + (i % 50)}/u${i}`, client_id: `c-${1 + (i % 50)}`, user_id: `u${i}`, created_at: new Date(base + i), flickr: null });
      for (let i = 0; i < docs.length; i += 5000) await users.insertMany(docs.slice(i, i + 5000));
      const after = { at: new Date(base + Math.floor(mine / 2)), id: `u${Math.floor(mine / 2)}` };
      const filter = { client_id: 'c-0', created_at: { $gte: after.at }, $or: [{ created_at: { $gt: after.at } }, { user_id: { $gt: after.id } }] };
      const read = () => users.find(filter).sort({ created_at: 1, user_id: 1 }).limit(limit + 1);
      const explain = await read().explain();
      const times = [];
      for (let r = 0; r < 5; r++) {
        const t0 = process.hrtime.bigint();
        const rows = await read().toArray();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (rows.length !== Math.min(limit + 1, mine - Math.floor(mine / 2) - 1)) throw new Error(`page of ${rows.length} rows`);
      }
      times.sort((a, b) => a - b);
      const pushdown = 'filterPushdown' in explain
        ? { filter: explain.filterPushdown, sort: explain.sortPushdown, limit: explain.limitPushdown }
        : { winningPlan: JSON.stringify(explain.queryPlanner?.winningPlan ?? {}).slice(0, 200) };
      console.log(JSON.stringify({ client_docs: mine, other_docs: others, limit, page_ms_median: Number(times[2].toFixed(1)), pushdown }));
    }
  } finally {
    await db.dropDatabase();
    await client.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
