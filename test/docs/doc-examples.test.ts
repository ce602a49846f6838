import t from 'tap'
import { extractCurlExamples, trailingComment } from './doc-examples'
import { bodyHolds, parseClaims, valueMatches } from './example-claims'

// The readers of examples.test.ts's docs: if they misread an example, that test checks nothing.

const markdown = [
  'Text with `curl $B/inline` is no example.',
  '```sh',
  'B=http://127.0.0.1:3000',
  "curl -i $B/books -H 'content-type: application/json' \\",
  "  -d '{\"title\":\"#1 hit\"}'   # 201, location: /books/25",
  '# etag: "1"',
  'curl "$B/books?where.title.like=%23x"',
  '',
  'npm run seed',
  '```',
  '```',
  'curl $B/not-shell   # 500',
  '```',
  '```json',
  '{ "curl": 1 }',
  '```'
].join('\n')

t.test('takes the curl lines of sh blocks, continuation lines and the comments below them', async (t) => {
  const examples = extractCurlExamples(markdown, 'doc.md')
  t.same(examples, [
    {
      where: 'doc.md:4',
      command: "curl -i $B/books -H 'content-type: application/json' \\\n  -d '{\"title\":\"#1 hit\"}'   # 201, location: /books/25",
      comment: '201, location: /books/25\netag: "1"'
    },
    { where: 'doc.md:7', command: 'curl "$B/books?where.title.like=%23x"', comment: '' }
  ])
})

t.test('a # is a comment only where bash reads one', async (t) => {
  t.equal(trailingComment(`curl -d '{"a":"# no"}' $B   # yes`), 'yes')
  t.equal(trailingComment('curl "$B/a # b"'), undefined)
  t.equal(trailingComment('curl $B/a#b'), undefined)
  t.equal(trailingComment('curl \\# $B'), undefined)
})

t.test('reads statuses, headers and bodies out of a comment, and leaves prose alone', async (t) => {
  t.same(parseClaims('412: the PATCH made version 2'), { status: 412, headers: [], bodies: [] })
  t.same(parseClaims('HTTP/1.1 200 OK\netag: "3"'), { status: 200, headers: [{ name: 'etag', value: '"3"' }], bodies: [] })
  t.same(parseClaims('201 Created, location: /books/…, etag: "1", body: the stored row (defaults filled in)'), {
    status: 201,
    headers: [
      { name: 'location', value: '/books/…' },
      { name: 'etag', value: '"1"' }
    ],
    bodies: []
  })
  t.same(parseClaims('X-Total-Count: 3 (the rows matching the filters)').headers, [{ name: 'x-total-count', value: '3' }])
  t.same(parseClaims('Link: </books?limit=2&cursor=…>; rel="next"').headers, [
    { name: 'link', value: '</books?limit=2&cursor=…>; rel="next"' }
  ])
  t.same(parseClaims('{"id":1,"title":"Dune"}, still with its etag: "3"'), {
    status: undefined,
    headers: [{ name: 'etag', value: '"3"' }],
    bodies: [{ id: 1, title: 'Dune' }]
  })
  t.same(parseClaims('{"id":1,\n "version":3}').bodies, [{ id: 1, version: 3 }], 'a body may span comment lines')
  t.same(parseClaims('first 20 rows by primary key'), { status: undefined, headers: [], bodies: [] })
  t.same(parseClaims('204; If-Match: * means "if it exists"'), { status: 204, headers: [], bodies: [] })
  t.throws(() => parseClaims('{"id":1,...}'), /not JSON/, 'an unreadable body is an error, not prose')
})

t.test('claimed values match exactly, except where … stands for any text', async (t) => {
  t.ok(valueMatches('"3"', '"3"'))
  t.notOk(valueMatches('"3"', '"4"'))
  t.notOk(valueMatches('"3"', undefined))
  t.notOk(valueMatches('/books/2', '/books/25'), 'no prefix match without …')
  t.ok(valueMatches('</books?limit=2&cursor=…>; rel="next"', '</books?limit=2&cursor=WzJd.yt5k>; rel="next"'))
  t.notOk(valueMatches('</books?limit=2&cursor=…>; rel="next"', '</books?limit=3&cursor=WzJd>; rel="next"'))
  t.ok(valueMatches('a.b', 'a.b'))
  t.notOk(valueMatches('a.b', 'axb'), 'a dot is a dot')
})

t.test('a body claim holds when every field it shows is there with that value', async (t) => {
  t.ok(bodyHolds({ id: 1, title: 'Dune' }, { id: 1, title: 'Dune', stock: 10 }))
  t.notOk(bodyHolds({ id: 1, title: 'Dune' }, { id: 1, title: 'Dune Messiah' }))
  t.notOk(bodyHolds({ id: 1 }, [{ id: 1 }]))
  t.notOk(bodyHolds({ price: 9.99 }, { price: '9.99' }), 'types count')
  t.ok(bodyHolds([{ id: 13 }, { id: 10 }], [{ id: 13, a: 1 }, { id: 10 }]))
  t.notOk(bodyHolds([{ id: 13 }], [{ id: 13 }, { id: 10 }]), 'arrays: same length')
  t.notOk(bodyHolds({ id: 1 }, undefined))
})
