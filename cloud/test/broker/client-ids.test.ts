import { describe, expect, it } from 'vitest';
import {
  clientIdPrefixProblem,
  gatewayMayUse,
  overlappingPrefixes,
  serviceAccountMayUse,
} from '../../src/broker/client-ids.js';
import { cloudConfigSchema } from '../../src/config.js';

const SECRET = 'erp-secret-0123456789';
const accounts = (serviceAccounts: unknown) => cloudConfigSchema.safeParse({ mqtt: { serviceAccounts } });

describe('client ids bound to their account', () => {
  it('a gateway uses its id or its id and a suffix, never another id starting the same', () => {
    expect(gatewayMayUse('gw-a', 'gw-a')).toBe(true);
    expect(gatewayMayUse('gw-a', 'gw-a/probe')).toBe(true);
    expect(gatewayMayUse('gw-a', 'gw-ab')).toBe(false);
    expect(gatewayMayUse('gw-a', 'gw-b')).toBe(false);
  });

  it('a service account uses ids starting with its prefix', () => {
    expect(serviceAccountMayUse('erp@', 'erp@wms-1')).toBe(true);
    expect(serviceAccountMayUse('erp@', 'erp-1')).toBe(false);
    expect(serviceAccountMayUse('erp@', 'gw-a')).toBe(false);
  });

  it.each([
    ['erp@', undefined],
    ['/svc/erp', undefined],
    ['_erp', undefined], // gateway ids start with a letter or digit
    ['a'.repeat(65), undefined], // longer than any gateway id
    ['erp', 'could begin'],
    ['erp-', 'could begin'],
    ['svc/erp', 'could begin'], // gateway `svc` may use `svc/…`
  ])('prefix %s: %s', (prefix, problem) => {
    if (problem === undefined) expect(clientIdPrefixProblem(prefix)).toBeUndefined();
    else expect(clientIdPrefixProblem(prefix)).toContain(problem);
  });

  it('finds prefixes that start one another', () => {
    expect(
      overlappingPrefixes([
        ['a', 'a@'],
        ['b', 'b@'],
      ]),
    ).toBeUndefined();
    expect(
      overlappingPrefixes([
        ['a', 'a@'],
        ['b', 'a@x'],
      ]),
    ).toEqual(['a', 'b']);
  });
});

describe('service accounts in the config', () => {
  it('default the prefix to <username>@ and keep an explicit one', () => {
    const r = accounts({ erp: SECRET, wms: { secret: SECRET, clientIdPrefix: '_wms/' } });
    expect(r.success && r.data.mqtt.serviceAccounts).toEqual({
      erp: { secret: SECRET, clientIdPrefix: 'erp@' },
      wms: { secret: SECRET, clientIdPrefix: '_wms/' },
    });
  });

  it('refuse a prefix a gateway client id could start with, and overlapping prefixes', () => {
    const bad = accounts({ erp: { secret: SECRET, clientIdPrefix: 'erp' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['mqtt', 'serviceAccounts', 'erp', 'clientIdPrefix'],
      message: expect.stringContaining("could begin a gateway's client id"),
    });
    // A username with a `/` makes the default prefix unsafe too (`a/b@` could be gateway a's `a/…`).
    expect(accounts({ 'a/b': SECRET }).success).toBe(false);
    const overlap = accounts({ erp: SECRET, erp2: { secret: SECRET, clientIdPrefix: 'erp@2' } });
    expect(overlap.error?.issues[0]?.message).toMatch(/erp could take over erp2's sessions/);
  });
});
