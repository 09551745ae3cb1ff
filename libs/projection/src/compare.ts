/**
 * Row-by-row comparison of two projections (the live one and a rebuilt one), for
 * `projector rebuild`. Each table is read in key order in pages on both sides and merged,
 * so memory stays bounded whatever the size. The live side should be read inside one
 * consistent snapshot (START TRANSACTION WITH CONSISTENT SNAPSHOT) so it holds still while
 * it is compared. Columns that are not part of the projection (consumer_offsets.updated_at)
 * are left out.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import {
  CHUNK_COLUMNS,
  columnList,
  fromSql,
  PART_COLUMNS,
  READ_OPTIONS,
  toSql,
  UPLOAD_COLUMNS,
  type Columns,
} from './sql-rows.ts';

/** Anything that runs a query: a connection or a pool. */
export type Queryable = Pick<PoolConnection, 'query'>;

/** One row that differs. */
export interface RowDifference {
  readonly table: string;
  /** The row's key, e.g. `upload_id=… chunk_number=3`. */
  readonly key: string;
  readonly kind: 'only-live' | 'only-rebuilt' | 'different';
  /** For `different`: the columns whose values differ. */
  readonly columns: readonly { readonly column: string; readonly live: unknown; readonly rebuilt: unknown }[];
}

/** The outcome of {@link compareProjections}. */
export interface Comparison {
  /** Rows read on the live side. */
  readonly rowsCompared: number;
  /** Differing rows in all. */
  readonly differenceCount: number;
  /** The first differences, up to `maxDifferences`. */
  readonly differences: readonly RowDifference[];
}

/** Options of {@link compareProjections}. */
export interface CompareOptions {
  /** The group whose consumer_offsets rows are compared. */
  readonly groupId: string;
  /** Differences listed in detail. @default 50 */
  readonly maxDifferences?: number;
  /** Rows per read. @default 2000 */
  readonly pageSize?: number;
}

type Row = Record<string, unknown>;

interface TableSpec {
  readonly table: string;
  readonly columns: Columns<Row>;
  readonly key: readonly string[];
  readonly filter?: { readonly sql: string; readonly values: readonly unknown[] };
}

const OFFSET_COLUMNS: Columns<Row> = [
  ['group_id', 'group_id', 'text'],
  ['topic', 'topic', 'text'],
  ['partition_id', 'partition_id', 'int'],
  ['next_offset', 'next_offset', 'bigint'],
];

const REJECTED_COLUMNS: Columns<Row> = [
  ['topic', 'topic', 'text'],
  ['partition_id', 'partition_id', 'int'],
  ['record_offset', 'record_offset', 'bigint'],
  ['event_id', 'event_id', 'text?'],
  ['upload_id', 'upload_id', 'text?'],
  ['error_code', 'error_code', 'text'],
  ['message', 'message', 'text'],
];

function tables(groupId: string): TableSpec[] {
  return [
    { table: 'uploads', columns: UPLOAD_COLUMNS, key: ['upload_id'] },
    {
      table: 'chunks',
      columns: CHUNK_COLUMNS,
      key: ['upload_id', 'chunk_number'],
    },
    { table: 'parts', columns: PART_COLUMNS, key: ['upload_id', 'part_number'] },
    { table: 'rejected_events', columns: REJECTED_COLUMNS, key: ['topic', 'partition_id', 'record_offset'] },
    {
      table: 'consumer_offsets',
      columns: OFFSET_COLUMNS,
      key: ['group_id', 'topic', 'partition_id'],
      filter: { sql: 'group_id = ?', values: [groupId] },
    },
  ];
}

/** Compares the projection tables of `live` and `rebuilt`. */
export async function compareProjections(
  live: Queryable,
  rebuilt: Queryable,
  options: CompareOptions,
): Promise<Comparison> {
  const max = options.maxDifferences ?? 50;
  const differences: RowDifference[] = [];
  let differenceCount = 0;
  let rowsCompared = 0;
  for (const spec of tables(options.groupId)) {
    const left = scan(live, spec, options.pageSize ?? 2000);
    const right = scan(rebuilt, spec, options.pageSize ?? 2000);
    let a = await left.next();
    let b = await right.next();
    while (!a.done || !b.done) {
      const order = a.done ? 1 : b.done ? -1 : compareKeys(spec, a.value, b.value);
      let difference: RowDifference | undefined;
      if (order < 0 && !a.done) {
        difference = { table: spec.table, key: keyText(spec, a.value), kind: 'only-live', columns: [] };
      } else if (order > 0 && !b.done) {
        difference = { table: spec.table, key: keyText(spec, b.value), kind: 'only-rebuilt', columns: [] };
      } else if (!a.done && !b.done) {
        const columns = differingColumns(spec, a.value, b.value);
        if (columns.length > 0)
          difference = { table: spec.table, key: keyText(spec, a.value), kind: 'different', columns };
      }
      if (difference) {
        differenceCount++;
        if (differences.length < max) differences.push(difference);
      }
      if (order <= 0 && !a.done) {
        rowsCompared++;
        a = await left.next();
      }
      if (order >= 0 && !b.done) b = await right.next();
    }
  }
  return { rowsCompared, differenceCount, differences };
}

async function* scan(db: Queryable, spec: TableSpec, pageSize: number): AsyncGenerator<Row> {
  const keyKinds = spec.key.map((k) => spec.columns.find(([, c]) => c === k)![2]);
  let after: unknown[] | undefined;
  for (;;) {
    const where: string[] = spec.filter ? [spec.filter.sql] : [];
    const values: unknown[] = spec.filter ? [...spec.filter.values] : [];
    if (after) {
      // (k1, k2, …) > (v1, v2, …), spelled out so both engines plan it as a range on the key.
      const ors = spec.key.map((k, i) => {
        const eq = spec.key.slice(0, i).map((p) => `${p} = ?`);
        values.push(...after!.slice(0, i), after![i]);
        return `(${[...eq, `${k} > ?`].join(' AND ')})`;
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    const [rows] = await db.query<RowDataPacket[]>({
      sql:
        `SELECT ${columnList(spec.columns)} FROM ${spec.table}` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY ${spec.key.join(', ')} LIMIT ?`,
      values: [...values, pageSize],
      ...READ_OPTIONS,
    });
    for (const r of rows) yield fromSql(spec.columns, r);
    if (rows.length < pageSize) return;
    const last = fromSql(spec.columns, rows.at(-1)!);
    after = spec.key.map((k, i) => {
      const prop = spec.columns.find(([, c]) => c === k)![0];
      const v = last[prop];
      return keyKinds[i] === 'bigint' ? String(v) : v;
    });
  }
}

function compareKeys(spec: TableSpec, a: Row, b: Row): number {
  for (const k of spec.key) {
    const [prop, , kind] = spec.columns.find(([, c]) => c === k)!;
    const x = a[prop];
    const y = b[prop];
    // Keys are ASCII (binary collation) or integers, so this is the order the server sorts in.
    if (kind === 'text') {
      const s = x as string;
      const t = y as string;
      if (s !== t) return s < t ? -1 : 1;
    } else if (x !== y) {
      return (x as number | bigint) < (y as number | bigint) ? -1 : 1;
    }
  }
  return 0;
}

function keyText(spec: TableSpec, row: Row): string {
  return spec.key
    .map((k) => {
      const prop = spec.columns.find(([, c]) => c === k)![0];
      return `${k}=${String(row[prop])}`;
    })
    .join(' ');
}

function differingColumns(spec: TableSpec, a: Row, b: Row): RowDifference['columns'] {
  const x = toSql(spec.columns, a);
  const y = toSql(spec.columns, b);
  return spec.columns.flatMap(([, column], i) =>
    x[i] === y[i] ? [] : [{ column, live: x[i], rebuilt: y[i] }],
  );
}
