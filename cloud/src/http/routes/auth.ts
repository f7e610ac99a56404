import { ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthConfig } from '../../auth/auth-config.js';
import { clearSessionCookie, principalOf, SESSION_COOKIE, setSessionCookie } from '../../auth/auth-plugin.js';
import type { AuthService } from '../../auth/auth-service.js';
import { MAX_PASSWORD_LENGTH } from '../../auth/passwords.js';
import { ANY_ROLE, roleSchema, rolesSchema } from '../../auth/roles.js';

export interface AuthRouteDeps {
  auth: AuthService;
  config: AuthConfig;
}

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  printedName: z.string(),
  roles: z.array(roleSchema),
  disabled: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(roleSchema),
  userId: z.string().nullable(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revoked: z.boolean(),
});

const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);
const ADMIN = { roles: ['admin'] } as const;

export const authRoutes: FastifyPluginAsync<AuthRouteDeps> = async (root, { auth, config }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.post(
    '/auth/login',
    {
      config: {
        public: true,
        rateLimit: { max: config.loginRateLimit.max, timeWindow: config.loginRateLimit.windowMs },
      },
      schema: {
        tags: ['auth'],
        description:
          'Password login for the pages: sets an HttpOnly SameSite=Strict session cookie and returns the CSRF token ' +
          'that every state-changing request with the cookie must send as `x-csrf-token`. Rate-limited per client ' +
          'address; failures from one address throttle that address first, then consecutive failures lock the ' +
          'username with exponential backoff (an admin can unlock: `POST /users/{id}/unlock`). Failures are ' +
          'security events (audit trail, log, `/metrics`) and never say whether the username exists.',
        body: z.object({ username: z.string().min(1).max(64), password }).strict(),
        response: {
          200: z.object({ user: userView, csrfToken: z.string(), expiresAt: z.number() }),
        },
      },
    },
    async (req, reply) => {
      const r = await auth.login(req.body.username, req.body.password, req.ip);
      setSessionCookie(reply, config, r.sessionId);
      req.log.info({ user: r.user.username }, 'login');
      return { user: r.user, csrfToken: r.csrfToken, expiresAt: r.expiresAt };
    },
  );

  app.get(
    '/auth/status',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        description: 'Whether any user exists yet (the login page shows the first-run instructions if not).',
        response: { 200: z.object({ usersExist: z.boolean() }) },
      },
    },
    async () => ({ usersExist: (await auth.users.countUsers()) > 0 }),
  );

  app.post(
    '/auth/logout',
    { config: { roles: ANY_ROLE }, schema: { tags: ['auth'], response: { 204: z.null() } } },
    async (req, reply) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (sid) await auth.logout(sid);
      clearSessionCookie(reply, config);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        response: {
          200: z.object({
            kind: z.enum(['session', 'token']),
            userId: z.string().nullable(),
            username: z.string(),
            printedName: z.string(),
            roles: z.array(roleSchema),
            csrfToken: z.string().optional(),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return {
        kind: p.kind,
        userId: p.userId,
        username: p.username,
        printedName: p.printedName,
        roles: p.roles,
        ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}),
      };
    },
  );

  app.put(
    '/auth/password',
    {
      config: { roles: ANY_ROLE },
      schema: {
        tags: ['auth'],
        description: 'Change your own password (re-enter the current one). Ends all your sessions.',
        body: z.object({ currentPassword: password, newPassword: password }).strict(),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'session' || !p.userId)
        throw new ColdtraceError('forbidden', 'only a logged-in user can change a password');
      const ok = await auth.checkPassword(p.username, req.body.currentPassword, {
        purpose: 'password_change',
        source: req.ip,
      });
      if (!ok) throw new ColdtraceError('unauthorized', 'current password is wrong');
      await auth.users.updateUser(p.userId, { password: req.body.newPassword }, auth.clock.now(), {
        actor: p.username,
        reason: `password changed by ${p.username} (own account)`,
      });
      clearSessionCookie(reply, config);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/tokens',
    { config: ADMIN, schema: { tags: ['auth'], response: { 200: z.array(tokenView) } } },
    async () =>
      (await auth.users.listTokens()).map((t) => ({
        id: t.id,
        name: t.name,
        roles: rolesSchema.parse(t.roles.split(',')),
        userId: t.user_id,
        createdAt: t.created_at,
        lastUsedAt: t.last_used_at,
        revoked: t.revoked === 1,
      })),
  );

  app.post(
    '/auth/tokens',
    {
      config: ADMIN,
      schema: {
        tags: ['auth'],
        description:
          'A bearer token for an integration (`Authorization: Bearer <token>`); the token is shown once. ' +
          'It never holds roles its creator does not hold.',
        body: z.object({ name: z.string().min(1).max(100), roles: rolesSchema }).strict(),
        response: { 201: tokenView.extend({ token: z.string() }) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const over = req.body.roles.filter((r) => !p.roles.includes(r));
      if (over.length)
        throw new ColdtraceError('forbidden', `you cannot grant roles you lack: ${over.join(', ')}`);
      const { row, token } = await auth.users.createToken(
        { name: req.body.name, roles: req.body.roles, userId: p.userId },
        auth.clock.now(),
        { actor: p.username },
      );
      return reply.code(201).send({
        id: row.id,
        name: row.name,
        roles: req.body.roles,
        userId: row.user_id,
        createdAt: row.created_at,
        lastUsedAt: null,
        revoked: false,
        token,
      });
    },
  );

  app.delete(
    '/auth/tokens/:id',
    {
      config: ADMIN,
      schema: { tags: ['auth'], params: z.object({ id: z.string().uuid() }), response: { 204: z.null() } },
    },
    async (req, reply) => {
      if (
        !(await auth.users.revokeToken(req.params.id, auth.clock.now(), { actor: principalOf(req).username }))
      )
        throw new ColdtraceError('not_found', `token ${req.params.id} not found`);
      return reply.code(204).send(null);
    },
  );
};
