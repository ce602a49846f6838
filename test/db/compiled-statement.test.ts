import t from 'tap'
import { Book } from '../../entities'
import { compileStatement } from '../../src/db/compiled-statement'
import { buildTestApp } from '../helper'
import { seedAuthors } from '../fixtures/seed'

t.test('compileStatement: TypeORM writes the SQL once, bind() orders the values as the SQL wants them', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Ursula K. Le Guin' }])
  await app.db.query(
    "INSERT INTO books (title, isbn, price, stock, authorId, version) VALUES ('A', '1', 1, 5, ?, 1), ('B', '2', 1, 9, ?, 1)",
    [authorId, authorId]
  )
  // The names are listed in one order and used in the SQL in the other.
  const statement = compileStatement(['maxStock', 'title'], (parameters) =>
    app.db.manager
      .createQueryBuilder(Book, 'book')
      .select('book.title', 'title')
      .where('book.title = :title', parameters)
      .andWhere('book.stock < :maxStock', parameters)
  )
  t.match(statement.sql, /`title` = \?.*`stock` < \?/, 'TypeORM wrote the SQL, with positional placeholders')
  t.same(statement.bind({ maxStock: 6, title: 'A' }), ['A', 6], 'values come out in the order of the SQL')
  t.same(await app.db.query(statement.sql, statement.bind({ maxStock: 6, title: 'A' })), [{ title: 'A' }])
  t.same(await app.db.query(statement.sql, statement.bind({ maxStock: 6, title: 'B' })), [], 'B has 9 in stock')
  // A hostile value is bound, never spliced into the SQL.
  t.same(await app.db.query(statement.sql, statement.bind({ maxStock: 100, title: "A' OR '1'='1" })), [])
})

t.test('compileStatement refuses a builder that binds a literal or leaves a name unused', async (t) => {
  const app = await buildTestApp(t)
  const books = () => app.db.manager.createQueryBuilder(Book, 'book').select('book.id', 'id')
  t.throws(
    () => compileStatement(['id'], (parameters) => books().where('book.id = :id', parameters).andWhere('book.stock > :min', { min: 3 })),
    /not one of the placeholders: 3/,
    'a value fixed at start-up would be silently reused by every call'
  )
  t.throws(() => compileStatement(['id', 'title'], (parameters) => books().where('book.id = :id', parameters)), /parameter title is not used/)
})
