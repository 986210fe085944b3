const { Redis } = require('ioredis');
const { SlidingWindowStore } = require('./dist/rate-limit/sliding-window.store');
(async () => {
  const r = new Redis('redis://127.0.0.1:6380');
  const store = new SlidingWindowStore({ create: (_n, o) => new Redis('redis://127.0.0.1:6380', { keyPrefix: 'luatest:', ...o }) });
  await r.config('RESETSTAT');
  const N = 30000;
  const t0 = Date.now();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: 50 }, () => store.hitAll([{ key: 'key:x', limit: 1e9, windowMs: 1000 }, { key: 'user:read:x', limit: 1e9, windowMs: 1000 }])));
  }
  const secs = (Date.now() - t0) / 1000;
  console.log('rate', (N / secs).toFixed(0), '/s; zcard', await r.zcard('luatest:rl:key:x'));
  const stats = (await r.info('commandstats')).split('\n').filter((l) => /evalsha|zadd|zrem|zrange|zcard|pexpire|time/.test(l));
  console.log(stats.join('\n'));
  await r.del('luatest:rl:key:x', 'luatest:rl:user:read:x');
  process.exit(0);
})();
