/**
 * Metric names referred to by a PromQL expression. Hand-written because no maintained JS PromQL parser
 * exists on npm; PromQL's grammar makes this small: drop strings, label matchers, ranges and grouping
 * clauses, then every remaining identifier not followed by "(" and not a keyword is a metric name.
 */
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset',
  'inf', 'nan', 'atan2',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after)) continue; // a function or aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (/^\d/.test(m[0]) || /^e\d*$/i.test(m[0])) continue;
    names.add(m[0]);
  }
  return [...names];
}

/**
 * Sample names a /metrics page exposes, from its "# TYPE" lines: histograms expose _bucket, _sum and
 * _count, summaries _sum and _count (prom-client prints TYPE even for series with no sample yet).
 */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
