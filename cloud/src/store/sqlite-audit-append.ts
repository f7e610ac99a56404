import type SqliteDatabase from 'better-sqlite3';
import { type AuditInput, GENESIS_HASH, linkAuditEntries } from '../domain/audit-chain.js';

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

/**
 * `appendAudit` for the SQLite fast path: links entries onto the chain synchronously, with prepared
 * statements, in the running transaction (SQLite serialises writers, so the head cannot move meanwhile).
 */
export class SqliteAuditAppend {
  private readonly initHead: Statement;
  private readonly readHead: Statement;
  private readonly insertAudit: Statement;
  private readonly updateHead: Statement;

  constructor(sqlite: SqliteDatabase.Database) {
    this.initHead = sqlite.prepare(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.readHead = sqlite.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.insertAudit = sqlite.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, after_json,
         reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateHead = sqlite.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
  }

  append(entries: AuditInput[], at: number): void {
    this.initHead.run(GENESIS_HASH);
    const head = this.readHead.get() as { seq: number; hash: string };
    for (const r of linkAuditEntries(head, entries, at)) {
      this.insertAudit.run(
        r.seq,
        r.at,
        r.actor,
        r.action,
        r.entity_type,
        r.entity_id,
        r.before_json,
        r.after_json,
        r.reason,
        r.prev_hash,
        r.hash,
      );
      this.updateHead.run(r.seq, r.hash);
    }
  }
}
