import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The login page's own module (served as /static/safe-next.js), loaded as the browser loads it.
const moduleUrl = new URL('../../src/pages/static/safe-next.js', import.meta.url).href;
const { sameOriginPath } = (await import(moduleUrl)) as {
  sameOriginPath: (next: string | null, origin: string) => string;
};
const ORIGIN = 'https://coldtrace.example:8443';

describe('login next= target (open redirect)', () => {
  it('keeps paths of this origin, with their query and fragment', () => {
    expect(sameOriginPath('/lots/L1?tab=trace#top', ORIGIN)).toBe('/lots/L1?tab=trace#top');
    expect(sameOriginPath('/excursions', ORIGIN)).toBe('/excursions');
    expect(sameOriginPath(`${ORIGIN}/audit`, ORIGIN)).toBe('/audit');
  });

  it('refuses %2F%09%2Fevil.com, which a prefix check let through', () => {
    const next = new URLSearchParams('next=%2F%09%2Fevil.com').get('next')!;
    expect(next).toBe('/\t/evil.com');
    // Precondition: the old check (starts with one slash, not two) passed it, and the browser goes off-site.
    expect(next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')).toBe(true);
    expect(new URL(next, ORIGIN).host).toBe('evil.com');
    expect(sameOriginPath(next, ORIGIN)).toBe('/');
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/\n/evil.com',
    ' //evil.com',
    'https://evil.com/',
    'http://coldtrace.example:8443/',
    'https://coldtrace.example/',
    'javascript:alert(1)',
    'data:text/html,x',
    'http://[::1',
  ])('sends %j to / instead', (next) => {
    expect(sameOriginPath(next, ORIGIN)).toBe('/');
  });

  it('null or empty goes to /', () => {
    expect(sameOriginPath(null, ORIGIN)).toBe('/');
    expect(sameOriginPath('', ORIGIN)).toBe('/');
  });

  it('is the module the login page imports', async () => {
    const { readFile } = await import('node:fs/promises');
    const page = await readFile(
      fileURLToPath(new URL('../../src/pages/static/page-login.js', import.meta.url)),
      'utf8',
    );
    expect(page).toContain("import { sameOriginPath } from './safe-next.js'");
  });
});
