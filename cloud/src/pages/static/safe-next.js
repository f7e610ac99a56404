/**
 * Where the login page may send you afterwards: a path of this origin, else `/`. The target is parsed
 * the way the browser will navigate to it (WHATWG URL: tabs and newlines are dropped, `\` is `/`), and
 * its origin compared with ours, so `/\t/evil.com` (parsed as `//evil.com`) cannot leave the site.
 */
export function sameOriginPath(next, origin) {
  if (typeof next !== 'string' || next === '') return '/';
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(origin).origin) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
