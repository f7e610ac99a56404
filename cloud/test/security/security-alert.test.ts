import { describe, expect, it } from 'vitest';
import { SecurityAlertRule } from '../../src/security/security-alert.js';

describe('SecurityAlertRule', () => {
  it('alerts once when the threshold is crossed within the window, then once per window', () => {
    const rule = new SecurityAlertRule(3, 60_000, undefined);
    const t0 = 1_700_000_000_000;
    expect(rule.observe('login_failed', t0)).toBeNull();
    expect(rule.observe('permission_denied', t0 + 1_000)).toBeNull();
    const alert = rule.observe('login_failed', t0 + 2_000);
    expect(alert).toEqual({
      count: 3,
      windowMs: 60_000,
      byEvent: { login_failed: 2, permission_denied: 1 },
      at: t0 + 2_000,
    });
    // Still above the threshold, but within a window of the last alert: no second alert.
    expect(rule.observe('login_failed', t0 + 30_000)).toBeNull();
    expect(rule.observe('login_failed', t0 + 61_000)).toBeNull();
    // A full window after the alert, still above the threshold: the next alert, with the window's count
    // (t0 + 2 s, + 30 s, + 61 s, + 62 s; the first two events have left the window).
    expect(rule.observe('login_failed', t0 + 62_000)).toMatchObject({
      count: 4,
      byEvent: { login_failed: 4 },
      at: t0 + 62_000,
    });
  });

  it('forgets events older than the window', () => {
    const rule = new SecurityAlertRule(2, 10_000, undefined);
    expect(rule.observe('login_failed', 0)).toBeNull();
    expect(rule.observe('login_failed', 11_000)).toBeNull();
    expect(rule.observe('login_failed', 12_000)).toMatchObject({ count: 2 });
  });

  it('counts only the watched events', () => {
    const rule = new SecurityAlertRule(2, 60_000, new Set(['mqtt_login_refused']));
    for (let i = 0; i < 5; i++) expect(rule.observe('permission_denied', i)).toBeNull();
    expect(rule.observe('mqtt_login_refused', 10)).toBeNull();
    expect(rule.observe('mqtt_login_refused', 20)).toMatchObject({ byEvent: { mqtt_login_refused: 2 } });
  });
});
