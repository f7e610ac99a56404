import { describe, expect, it } from 'vitest';
import { isConnectionFailure } from '../../src/store/connection-failure.js';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isConnectionFailure', () => {
  it('is true for a database that could not be reached or ended the session', () => {
    for (const err of [
      coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      coded('read ECONNRESET', 'ECONNRESET'),
      coded('getaddrinfo ENOTFOUND db', 'ENOTFOUND'),
      coded('terminating connection due to administrator command', '57P01'),
      coded('the database system is starting up', '57P03'),
      coded('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      // pg-pool wraps the connect's error; Node's connect to several addresses gives an AggregateError.
      new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }),
      new Error('wrapped', { cause: coded('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED') }),
      Object.assign(new AggregateError([coded('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), {}),
    ])
      expect(isConnectionFailure(err), err.message).toBe(true);
  });

  it('is false for a statement the database refused, and for anything else', () => {
    for (const err of [
      coded('SQLITE_FULL: database or disk is full', 'SQLITE_FULL'),
      coded('attempt to write a readonly database', 'SQLITE_READONLY'),
      coded('could not extend file', '53100'),
      coded('cannot execute INSERT in a read-only transaction', '25006'),
      coded('duplicate key value violates unique constraint', '23505'),
      coded('canceling statement due to statement timeout', '57014'),
      new Error('Connection terminated'), // our own close: not an outage
      new Error('timeout exceeded when trying to connect'), // waiting for a busy pool: a stall
      new Error('boom'),
      'ECONNREFUSED',
      undefined,
    ])
      expect(isConnectionFailure(err), String(err)).toBe(false);
  });
});
