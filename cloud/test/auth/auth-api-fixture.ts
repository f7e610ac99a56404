import { afterAll, beforeAll } from 'vitest';
import { type App, buildApp } from '../../src/http/build-app.js';
import { createUser, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/** What the auth API tests share: a test cloud, its HTTP app and three users. */
export interface AuthApi {
  cloud: TestCloud;
  /** The cloud's HTTP app with a login rate limit high enough for many logins (the limit has its own test). */
  app: App;
  /** `admin1`, role admin. */
  admin: TestUser;
  /** `qa1`, role qa, printed name "Quinn Assurance". */
  qa: TestUser;
  /** `viewer1`, role viewer. */
  viewer: TestUser;
}

/** Starts the cloud and its users before the file's tests (beforeAll) and stops it after them (afterAll). */
export function useAuthApi(): AuthApi {
  const api = {} as AuthApi;
  beforeAll(async () => {
    api.cloud = await startTestCloud();
    api.app = await buildApp({
      store: api.cloud.store,
      evaluator: api.cloud.evaluator,
      auth: { loginRateLimit: { max: 10_000, windowMs: 60_000 } },
    });
    api.admin = await createUser(api.cloud.store, { roles: ['admin'], username: 'admin1' });
    api.qa = await createUser(api.cloud.store, {
      roles: ['qa'],
      username: 'qa1',
      printedName: 'Quinn Assurance',
    });
    api.viewer = await createUser(api.cloud.store, { roles: ['viewer'], username: 'viewer1' });
  });
  afterAll(async () => {
    await api.app?.close();
    await api.cloud?.stop();
  });
  return api;
}
