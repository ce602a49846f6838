import t from 'tap'
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'
import { Author, Book, Order } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildResourceModel } from '../../src/rest/resource-model'
import { createBodySchema, entitySchema, patchBodySchema, paramsSchema, replaceBodySchema } from '../../src/rest/json-schemas'
import { listGrammarOf } from '../../src/rest/list/grammar'
import { resourcePath } from '../../src/rest/naming'
import { ifMatchVersions, noneMatchHits } from '../../src/rest/preconditions'
import { nextPageUrl } from '../../src/rest/list/map'
import { metadataOf } from '../fixtures/metadata'

@Entity('typos')
@RestResource<Typo>({ writable: ['name'], filterable: ['nmae' as 'name'], sortable: [] })
class Typo {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'varchar', length: 10 }) name: string
}

@Entity('logic')
@RestResource<Logic>({ writable: [], filterable: ['id', 'or'], sortable: [] })
class Logic {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'varchar', length: 10 }) or: string
}

@Entity('places')
@RestResource<Place>({ writable: [], filterable: [], sortable: [] })
class Place {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'point' }) spot: unknown
}

@Entity('notes')
@RestResource<Note>({ writable: [], filterable: [], sortable: ['text'] })
class Note {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'text' }) text: string
}

@Entity('stamps')
@RestResource<Stamp>({ writable: ['createdAt'], filterable: [], sortable: [] })
class Stamp {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @CreateDateColumn({ type: 'datetime' }) createdAt: Date
}

@Entity('documents')
@RestResource<Document>({ writable: [], filterable: ['body'], sortable: [] })
class Document {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'json' }) body: unknown
}

@Entity('guarded')
@RestResource<Guarded>({ writable: [], filterable: [], sortable: [], requireIfMatch: true })
class Guarded {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
}

@Entity('gizmo_table')
@RestResource<Gizmo>({ path: 'parts/gizmos', writable: [], filterable: [], sortable: [], operations: ['get'] })
class Gizmo {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true }) id: string
}

@Entity('pairs')
@RestResource<Pair>({ writable: [], filterable: [], sortable: [] })
class Pair {
  @PrimaryColumn({ type: 'int' }) left: number
  @PrimaryColumn({ type: 'int' }) right: number
}

t.test('metadata -> resource model and JSON Schemas (no database)', async (t) => {
  const metadata = await metadataOf([Author, Book, Order, Typo, Place, Note, Stamp, Document, Guarded, Pair, Gizmo, Logic])
  const book = buildResourceModel(metadata(Book))
  const author = buildResourceModel(metadata(Author))
  const order = buildResourceModel(metadata(Order))

  t.equal(book.path, '/books')
  t.equal(book.primary.name, 'id')
  t.equal(book.version?.name, 'version')
  t.same([...order.operations].sort(), ['get', 'list', 'update'])
  t.same(book.filterable.find((f) => f.name === 'price')?.ops, ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'between'])
  t.same(book.filterable.find((f) => f.name === 'title')?.ops, ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'like', 'notLike', 'contains', 'startsWith', 'endsWith'])
  t.same(book.filterable.find((f) => f.name === 'createdAt')?.ops, ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'between'])
  t.ok(author.filterable.find((f) => f.name === 'bio')?.ops.includes('isNull'), 'nullable columns get isNull')

  const entity = entitySchema(book) as { properties: Record<string, any> }
  t.same(entity.properties.id, { type: 'integer', minimum: 0, maximum: 4294967295 })
  t.same(entity.properties.isbn, { type: 'string', maxLength: 17 })
  t.same(entity.properties.price, { type: 'number', exclusiveMinimum: -1e8, exclusiveMaximum: 1e8, description: 'DECIMAL(10,2)' })
  t.match(entity.properties.createdAt, { type: 'string', format: 'date-time', description: /datetime\(3\)/ })
  t.match((entitySchema(author) as any).properties.bio, { type: ['string', 'null'], maxLength: 65535 })
  t.same((entitySchema(order) as any).properties.status, { type: 'string', enum: ['placed', 'shipped', 'cancelled'] })

  t.same(createBodySchema(book).required, ['title', 'isbn', 'price', 'authorId'], 'stock has a default')
  t.equal(createBodySchema(book).additionalProperties, false)
  t.same(replaceBodySchema(book).required, ['title', 'isbn', 'price', 'stock', 'authorId'])
  t.equal(patchBodySchema(book).minProperties, 1)
  t.same(Object.keys((patchBodySchema(order) as any).properties), ['status'])
  t.same((paramsSchema(book) as any).required, ['id'])

  const query = listGrammarOf(book).querySchema as { properties: Record<string, any>; additionalProperties: boolean }
  t.equal(query.additionalProperties, false)
  t.ok(query.properties['where.price.lt'])
  t.same(query.properties['where.price.lt'].type, 'string', 'decimal filters stay exact text')
  t.notOk(query.properties['where.price.like'], 'like only for strings')
  t.notOk(query.properties['where.version.eq'], 'version is not filterable')
  t.notOk(query.properties['orderby.isbn'], 'isbn is not sortable')
  t.same(query.properties['orderby.title'].enum, ['asc', 'desc'])
  t.equal(query.properties.limit.maximum, 100)
  t.equal(query.properties.limit.default, 20)

  const gizmo = buildResourceModel(metadata(Gizmo))
  t.equal(gizmo.path, '/parts/gizmos', 'the path option overrides the plural')
  t.same([...gizmo.operations], ['get'])
  t.same((paramsSchema(gizmo) as any).properties.id.pattern, '^[0-9]{1,20}$', 'BIGINT ids are digit strings')
  t.throws(() => buildResourceModel(metadata(Typo)), /Typo: filterable field "nmae" is not a column/)
  t.throws(() => buildResourceModel(metadata(Place)), /Place\.spot: column type "point" is not supported/)
  t.throws(() => buildResourceModel(metadata(Note)), /Note\.text: text columns cannot be sorted exactly/)
  t.throws(() => buildResourceModel(metadata(Stamp)), /Stamp\.createdAt cannot be "writable": its date is stamped/)
  t.throws(() => buildResourceModel(metadata(Document)), /Document\.body: json columns cannot be filtered/)
  t.throws(() => buildResourceModel(metadata(Guarded)), /Guarded: requireIfMatch needs a @VersionColumn/)
  t.throws(() => buildResourceModel(metadata(Pair)), /exactly one primary column/)
  t.throws(() => listGrammarOf(buildResourceModel(metadata(Logic))), /Logic\.or: a filterable field cannot be named "or"/, 'where.or. is the OR group')
})

t.test('naming, preconditions and next-page URLs', async (t) => {
  t.equal(resourcePath('Book'), '/books')
  t.equal(resourcePath('BookReview'), '/book-reviews')
  t.equal(resourcePath('Category'), '/categories')
  t.equal(resourcePath('Box'), '/boxes')
  t.equal(resourcePath('HTTPLog'), '/http-logs')

  t.same(ifMatchVersions('"3", W/"4"'), [3], 'If-Match compares strongly: a weak tag never matches')
  t.same(ifMatchVersions('W/"1"'), [])
  t.equal(ifMatchVersions(' * '), 'any')
  t.same(ifMatchVersions('"abc"'), [])
  t.ok(noneMatchHits('W/"2"', '"2"'))
  t.ok(noneMatchHits('*', '"2"'))
  t.notOk(noneMatchHits('"3"', '"2"'))
  t.notOk(noneMatchHits(undefined, '"2"'))

  t.equal(nextPageUrl('/books', 'c1.x'), '/books?cursor=c1.x')
  t.equal(nextPageUrl('/books?limit=5&offset=10&cursor=old&orderby.title=asc', 'c2.y'), '/books?limit=5&orderby.title=asc&cursor=c2.y')
})
