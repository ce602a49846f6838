import t from 'tap'
import { readPlan, rowsToFill } from '../../src/rest/list/query-plan'
import { withoutValues } from '../../src/rest/list/plan-answer'

// The EXPLAIN reader on the plan shapes it meets; the live MariaDB shapes are covered by query-cost.test.ts.
t.test('readPlan: MariaDB and MySQL spellings, joins, subqueries, empty plans', async (t) => {
  const mariadbJoin = {
    query_block: {
      select_id: 1,
      nested_loop: [
        { read_sorted_file: { filesort: { sort_key: 'b.price', table: { table_name: 'books', access_type: 'ALL', rows: 3000, filtered: 50 } } } },
        { table: { table_name: 'lg_author', access_type: 'eq_ref', key: 'PRIMARY', used_key_parts: ['id'], rows: 1, filtered: 100 } }
      ],
      subqueries: [{ query_block: { select_id: 2, table: { table_name: 'orders', access_type: 'ALL', rows: 9999, filtered: 100 } } }]
    }
  }
  t.match(readPlan(mariadbJoin), { scanRows: 3000, resultRows: 1500, filesort: true, fullScan: true, usedKeyParts: [] }, 'the join multiplies, the subquery is left out')
  const mysql = {
    query_block: {
      select_id: 1,
      ordering_operation: {
        using_filesort: true,
        table: { table_name: 'books', access_type: 'range', key: 'IDX_books_author', used_key_parts: ['authorId'], rows_examined_per_scan: 40, filtered: '10.00' }
      }
    }
  }
  t.match(readPlan(mysql), { scanRows: 40, resultRows: 4, filesort: true, fullScan: false, usedKeyParts: ['authorId'] })
  t.match(readPlan({ query_block: { select_id: 1, table: { message: 'Impossible WHERE noticed after reading const tables' } } }), { scanRows: 0, resultRows: 0, filesort: false })
})

t.test('withoutValues hides every literal of a plan, keeps its names', async (t) => {
  const plan = {
    query_block: {
      select_id: 1,
      table: {
        table_name: 'books2',
        key: 'IDX_books_2',
        key_length: '5',
        used_key_parts: ['authorId'],
        rows: 12,
        attached_condition: "books2.title = 'it''s secret' and books2.stock > 42 and books2.price < -1.5e3 and t1.isbn = _utf8mb4'x\\'y' and books2.code = 0xDEADBEEF"
      }
    }
  }
  const shown = withoutValues(plan) as any
  t.equal(shown.query_block.table.attached_condition, 'books2.title = ? and books2.stock > ? and books2.price < ? and t1.isbn = ? and books2.code = ?')
  t.same({ ...shown.query_block.table, attached_condition: undefined }, { ...plan.query_block.table, attached_condition: undefined }, 'names, sizes and numbers of the plan itself stay')
})

t.test('rowsToFill: a streamed page stops at its LIMIT, a sorted one reads all, a materialised subquery is read whole', async (t) => {
  const range = { query_block: { select_id: 1, nested_loop: [{ table: { table_name: 'books', access_type: 'ref', used_key_parts: ['authorId'], rows: 2900, filtered: 100 } }] } }
  t.equal(rowsToFill(readPlan(range), 101), 101, 'rows in key order: one page')
  const filtered = { query_block: { select_id: 1, nested_loop: [{ table: { table_name: 'books', access_type: 'index', rows: 3000, filtered: 10 } }] } }
  t.equal(rowsToFill(readPlan(filtered), 101), 1010, 'one in ten matches: ten pages read for one')
  const sorted = { query_block: { select_id: 1, filesort: { temporary_table: { nested_loop: [{ table: { table_name: 'books', access_type: 'ALL', rows: 3000, filtered: 100 } }] } } } }
  t.equal(rowsToFill(readPlan(sorted), 101), 3000, 'sorted: everything first')
  const semiJoin = {
    query_block: {
      select_id: 1,
      nested_loop: [
        { table: { table_name: 'authors', access_type: 'index', rows: 1, filtered: 100 } },
        { table: { table_name: '<subquery2>', access_type: 'eq_ref', rows: 1, filtered: 100, materialized: { unique: 1, query_block: { select_id: 2, nested_loop: [{ table: { table_name: 'b', access_type: 'ALL', rows: 3000, filtered: 100 } }] } } } }
      ]
    }
  }
  t.match(readPlan(semiJoin), { scanRows: 3001, materializedRows: 3000 })
  t.equal(rowsToFill(readPlan(semiJoin), 101), 3001, 'the materialised table is read whole before the first row')
})
