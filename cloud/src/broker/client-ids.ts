import { ID_PATTERN } from '@coldtrace/shared';

/**
 * Which MQTT client ids each account may use on the embedded broker (docs/operations.md "Embedded broker
 * (aedes): limits"). A CONNECT with a client id already connected takes over that session and
 * disconnects the other client (MQTT 3.1.1 §3.1.4-2), so every account is bound to client ids no other
 * account can use:
 * - a gateway: its id, or its id, `/` and anything (`gw-1`, `gw-1/probe`);
 * - a service account: ids that start with its client id prefix (default `<username>@`, e.g. `erp@wms-1`).
 * A prefix is accepted only if no gateway client id can start with it (`clientIdPrefixProblem`), and no
 * prefix may start another's, so the sets never meet. Anything else is refused with CONNACK return code 2,
 * "identifier rejected" (MQTT 3.1.1 §3.2.2.3; MQTT 5's 0x85 "Client Identifier not valid").
 */
export function gatewayMayUse(gatewayId: string, clientId: string): boolean {
  return clientId === gatewayId || clientId.startsWith(`${gatewayId}/`);
}

export function serviceAccountMayUse(clientIdPrefix: string, clientId: string): boolean {
  return clientId.startsWith(clientIdPrefix);
}

export function defaultClientIdPrefix(username: string): string {
  return `${username}@`;
}

/**
 * Why a service account's prefix could also begin a gateway's client id, or undefined when it cannot. A
 * gateway client id is a gateway id (ID_PATTERN: no `/`, no `@`) optionally followed by `/…`; so a prefix is
 * safe exactly when its part before the first `/` is not (the start of) a gateway id.
 */
export function clientIdPrefixProblem(prefix: string): string | undefined {
  const head = prefix.split('/')[0]!;
  if (head !== '' && ID_PATTERN.test(head)) {
    return `client id prefix ${JSON.stringify(prefix)} could begin a gateway's client id (gateway ids are ${ID_PATTERN}); add a character no gateway id has, e.g. ${JSON.stringify(`${head}@`)}`;
  }
  return undefined;
}

/** Two accounts whose prefixes overlap (one starts the other), so one could take the other's sessions. */
export function overlappingPrefixes(
  prefixes: ReadonlyArray<readonly [account: string, prefix: string]>,
): [string, string] | undefined {
  for (const [a, pa] of prefixes) {
    for (const [b, pb] of prefixes) {
      if (a !== b && pb.startsWith(pa)) return [a, b];
    }
  }
  return undefined;
}
