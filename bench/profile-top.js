#!/usr/bin/env node
'use strict';
// Summarises a V8 .cpuprofile: self time by function and by package/file, and inclusive time of chosen frames.
// Usage: node bench/profile-top.js FILE.cpuprofile [--top 40] [--incl name1,name2]
const fs = require('node:fs');
const file = process.argv[2];
const topArg = process.argv.indexOf('--top');
const TOP = topArg > 0 ? Number(process.argv[topArg + 1]) : 40;
const inclArg = process.argv.indexOf('--incl');
const INCL = inclArg > 0 ? process.argv[inclArg + 1].split(',') : [];
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const counts = new Map();
for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const idle = new Set(['(idle)', '(program)', '(garbage collector)']);
let busy = 0;
const selfFn = new Map();
const selfFile = new Map();
const incl = new Map(INCL.map((n) => [n, 0]));
for (const [id, c] of counts) {
  const n = byId.get(id);
  const name = n.callFrame.functionName || '(anon)';
  if (name === '(idle)') continue;
  busy += c;
  const url = n.callFrame.url.replace(/^.*node_modules\//, 'nm:').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
  const pkg = url.startsWith('nm:') ? url.split('/').slice(0, url.startsWith('nm:@') ? 2 : 1).join('/') : url || name;
  const key = `${name} ${url}:${n.callFrame.lineNumber + 1}`;
  selfFn.set(key, (selfFn.get(key) ?? 0) + c);
  selfFile.set(pkg, (selfFile.get(pkg) ?? 0) + c);
  if (INCL.length) {
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const fn = byId.get(p).callFrame.functionName;
      if (incl.has(fn) && !seen.has(fn)) { seen.add(fn); incl.set(fn, incl.get(fn) + c); }
    }
  }
}
const pct = (c) => ((100 * c) / busy).toFixed(1).padStart(5) + '%';
console.log(`busy samples ${busy}`);
console.log('\n-- self by package/file');
for (const [k, c] of [...selfFile].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(pct(c), k);
console.log('\n-- self by function');
for (const [k, c] of [...selfFn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(pct(c), k);
if (INCL.length) { console.log('\n-- inclusive'); for (const [k, c] of incl) console.log(pct(c), k); }
