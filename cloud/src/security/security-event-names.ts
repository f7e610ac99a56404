/** The security events recorded on the audit trail (actions `security.<event>`, entityType `security`). */
export const SECURITY_EVENTS = [
  'login_failed',
  'login_throttled',
  'account_locked',
  'account_unlocked',
  'signature_failed',
  'signature_refused',
  'permission_denied',
  'mqtt_login_refused',
  'mqtt_client_id_refused',
  'mqtt_certificate_refused',
  // Not attempts themselves: how many were left off the trail in a burst, and a threshold alert.
  'events_suppressed',
  'alert_raised',
] as const;
export type SecurityEventName = (typeof SECURITY_EVENTS)[number];
