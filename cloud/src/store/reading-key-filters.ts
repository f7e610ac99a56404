import {
  AliasNode,
  BinaryOperationNode,
  ColumnNode,
  type DeleteQueryNode,
  IdentifierNode,
  type KyselyPlugin,
  type OperationNode,
  OperationNodeTransformer,
  OperatorNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  QueryNode,
  type QueryResult,
  ReferenceNode,
  SelectionNode,
  SelectQueryNode,
  TableNode,
  type UnknownRow,
  type UpdateQueryNode,
} from 'kysely';

/** The view's text columns and the key column and dictionary each one is filtered through. */
const KEYED: Record<string, { key: string; table: string }> = {
  gateway_id: { key: 'gateway_key', table: 'gateway_keys' },
  sensor_id: { key: 'sensor_key', table: 'sensor_keys' },
  location_id: { key: 'location_key', table: 'location_keys' },
};
const VIEW = 'readings';

/**
 * PostgreSQL only (migration 0044): a filter `location_id = x` (or `sensor_id`, `gateway_id`; `=` or `in`)
 * on the view `readings` is sent as `location_key = (select key from location_keys where id = x)`. Through
 * the view's dictionary join PostgreSQL plans a text-id filter as a scan of the whole range and a sort
 * (51.7 ms for a lot stay's chunk at 2M against 2.8 by key, docs/performance.md "Readings layout
 * candidates"); by the key it walks the (key, ts) index in order, as before the keys. So every read site
 * keeps naming text ids. A column counts as the view's when qualified by the view or an alias of it in
 * this query or an enclosing one, or unqualified in a query whose own FROM or JOIN holds the view.
 */
export class ReadingKeyFilters implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs) {
    return new KeyFilterTransformer().transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** The names a query's FROM and JOINs bind, each true when bound to the view; `own` when one is. */
interface Scope {
  names: Map<string, boolean>;
  own: boolean;
}

class KeyFilterTransformer extends OperationNodeTransformer {
  readonly #scopes: Scope[] = [];

  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    return this.#within([...(node.from?.froms ?? []), ...(node.joins ?? []).map((j) => j.table)], () =>
      super.transformSelectQuery(node),
    );
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    return this.#within([...node.from.froms, ...(node.joins ?? []).map((j) => j.table)], () =>
      super.transformDeleteQuery(node),
    );
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    const items = [node.table, ...(node.from?.froms ?? []), ...(node.joins ?? []).map((j) => j.table)];
    return this.#within(
      items.filter((t) => t !== undefined),
      () => super.transformUpdateQuery(node),
    );
  }

  protected override transformBinaryOperation(node: BinaryOperationNode): BinaryOperationNode {
    const op = OperatorNode.is(node.operator) ? node.operator.operator : undefined;
    const keyed = (op === '=' || op === 'in') && this.#viewColumn(node.leftOperand);
    if (!keyed) return super.transformBinaryOperation(node);
    const ref = node.leftOperand as ReferenceNode;
    const { key, table } = KEYED[(ref.column as ColumnNode).column.name]!;
    const ids = SelectQueryNode.cloneWithSelections(SelectQueryNode.createFrom([TableNode.create(table)]), [
      SelectionNode.create(ReferenceNode.create(ColumnNode.create('key'))),
    ]);
    const byId = BinaryOperationNode.create(
      ReferenceNode.create(ColumnNode.create('id')),
      node.operator,
      this.transformNode(node.rightOperand),
    );
    return BinaryOperationNode.create(
      ReferenceNode.create(ColumnNode.create(key), ref.table),
      node.operator,
      QueryNode.cloneWithWhere(ids, byId),
    );
  }

  #within<T>(items: readonly OperationNode[], run: () => T): T {
    const names = new Map<string, boolean>();
    for (const item of items) {
      const [table, alias] = AliasNode.is(item) ? [item.node, item.alias] : [item, undefined];
      if (!TableNode.is(table)) {
        if (alias !== undefined && IdentifierNode.is(alias)) names.set(alias.name, false);
        continue;
      }
      const view = table.table.schema === undefined && table.table.identifier.name === VIEW;
      names.set(
        alias !== undefined && IdentifierNode.is(alias) ? alias.name : table.table.identifier.name,
        view,
      );
    }
    this.#scopes.push({ names, own: [...names.values()].includes(true) });
    try {
      return run();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Whether `node` is a keyed text column of the view as this query's scopes bind it. */
  #viewColumn(node: OperationNode): boolean {
    if (!ReferenceNode.is(node) || !ColumnNode.is(node.column)) return false;
    if (KEYED[node.column.column.name] === undefined) return false;
    // Unqualified: the view's when the query's own FROM or JOIN holds it (else ambiguous or another table's).
    if (node.table === undefined) return this.#scopes.at(-1)?.own === true;
    if (node.table.table.schema !== undefined) return false;
    const qualifier = node.table.table.identifier.name;
    // The innermost query binding the name decides (an alias may shadow an outer one).
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const bound = this.#scopes[i]!.names.get(qualifier);
      if (bound !== undefined) return bound;
    }
    return false;
  }
}
