const { Redis } = require('ioredis');
(async () => {
  const r = new Redis('redis://127.0.0.1:6380', { enableAutoPipelining: true });
  const scripts = {
    empty: "return 1",
    time: "local t = redis.call('TIME') return 1",
    zcard11: "for i = 1, 11 do redis.call('ZCARD', KEYS[1]) end return 1",
    pcall11: "for i = 1, 11 do redis.pcall('ZCARD', KEYS[1]) end return 1",
  };
  for (const [name, lua] of Object.entries(scripts)) {
    const sha = await r.script('LOAD', lua);
    await r.config('RESETSTAT');
    const N = 20000;
    for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, () => r.evalsha(sha, 1, 'luatest:z', 'a', 'b', 'c', 'd', 'e', 'f')));
    const line = (await r.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_evalsha'));
    console.log(name, line.match(/usec_per_call=[\d.]+/)[0]);
  }
  process.exit(0);
})();
