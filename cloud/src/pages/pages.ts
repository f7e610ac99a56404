import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** Only plain names: no path separators, so nothing outside static/ can be named. */
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg)$/;

interface PageDef {
  url: string;
  title: string;
  script: string;
}

/** The QA pages (docs/architecture.md "HTTP API and QA pages"): HTML shells whose ES modules call /api/v1. */
const PAGES: PageDef[] = [
  { url: '/', title: 'Dashboard', script: 'page-dashboard.js' },
  { url: '/excursions', title: 'Excursions', script: 'page-excursions.js' },
  { url: '/excursions/:id', title: 'Excursion', script: 'page-excursion.js' },
  { url: '/lots', title: 'Lots', script: 'page-lots.js' },
  { url: '/lots/:id', title: 'Lot', script: 'page-lot.js' },
  { url: '/scans', title: 'Scans', script: 'page-scans.js' },
  { url: '/gateways', title: 'Gateways', script: 'page-gateways.js' },
  { url: '/audit', title: 'Audit trail', script: 'page-audit.js' },
];

const NAV = [
  ['/', 'Dashboard'],
  ['/excursions', 'Excursions'],
  ['/lots', 'Lots'],
  ['/scans', 'Scans'],
  ['/gateways', 'Gateways'],
  ['/audit', 'Audit'],
] as const;

/** The page shell: no inline script or style (the CSP forbids them); content is built by the page module. */
export function pageHtml(title: string, script: string, withNav: boolean): string {
  // On a narrow screen the menu folds behind a button (ui.js toggles it, aria-expanded says its state).
  const nav = withNav
    ? `<header class="top"><a class="brand" href="/">coldtrace</a><button type="button" id="menu-toggle" class="link menu-toggle" aria-expanded="false" aria-controls="menu">Menu</button><div class="menu" id="menu"><nav aria-label="Main">${NAV.map(
        ([href, label]) => `<a href="${href}">${label}</a>`,
      ).join(
        '',
      )}</nav><span class="who" id="whoami"></span><button type="button" id="logout" class="link">Log out</button></div></header>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · coldtrace</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script type="module" src="/static/${script}"></script>
</head>
<body>
${nav}
<main id="main"><p class="muted">Loading…</p></main>
</body>
</html>
`;
}

export const pageRoutes: FastifyPluginAsync<{ auth: AuthService }> = async (app, { auth }) => {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(STATIC_DIR))
    if (FILE_NAME.test(name)) files.set(name, readFileSync(join(STATIC_DIR, name)));

  app.get('/static/:file', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const name = (req.params as { file: string }).file;
    const body = FILE_NAME.test(name) ? files.get(name) : undefined;
    if (!body) return reply.code(404).send({ error: 'not_found', message: `no static file ${name}` });
    return reply.header('content-type', TYPES[extname(name)]!).header('cache-control', 'no-cache').send(body);
  });

  app.get('/login', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(pageHtml('Log in', 'page-login.js', false)),
  );

  for (const p of PAGES) {
    const html = pageHtml(p.title, p.script, true);
    app.get(p.url, { config: { page: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html),
    );
  }

  app.addHook('onReady', async () => {
    if ((await auth.users.countUsers()) === 0)
      app.log.warn(
        'no users yet: create the first admin on the server with `coldtrace user add <name> --role admin` (docs/qa-pages.md)',
      );
  });
};
