import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { EntityManager } from 'typeorm'
import { Author } from '../../entities'
import { adminConnection, buildTestApp } from '../helper'
import { poolState, waitForIdlePool } from '../support/pool-state'

/** Fails the test instead of hanging it when a pool deadlock keeps a promise pending. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function authorNames(app: FastifyInstance): Promise<string[]> {
  const rows: Array<{ name: string }> = await app.db.query('SELECT name FROM authors ORDER BY id')
  return rows.map((row) => row.name)
}

const addAuthor = (em: EntityManager, name: string) => em.insert(Author, { name })

/** Resolves for every caller once `count` callers have arrived: two requests that each hold one lock meet here, then deadlock. */
function meetingPoint(count: number): () => Promise<void> {
  let arrived = 0
  let everyoneHere!: () => void
  const met = new Promise<void>((resolve) => (everyoneHere = resolve))
  return () => {
    if (++arrived === count) everyoneHere()
    return met
  }
}

t.test('a transactional route commits before replying, borrowing lazily and releasing after', async (t) => {
  const app = await buildTestApp(t)
  const seen: Record<string, number> = {}
  app.post('/test/commit', { config: { transactional: true } }, async (request) => {
    seen.beforeFirstUse = poolState(app).active
    const tx = await request.tx()
    seen.afterFirstUse = poolState(app).active
    await addAuthor(tx, 'committed')
    seen.sameManager = (await request.tx()) === tx ? 1 : 0
    return { ok: true }
  })
  const res = await app.inject({ method: 'POST', url: '/test/commit' })
  t.equal(res.statusCode, 200)
  t.same(seen, { beforeFirstUse: 0, afterFirstUse: 1, sameManager: 1 })
  t.same(await authorNames(app), ['committed'])
  t.equal(poolState(app).active, 0, 'released once the response is out')
})

t.test('the reply.send() idiom commits too, and so does a 201 from reply.code()', async (t) => {
  const app = await buildTestApp(t)
  app.post('/test/send', { config: { transactional: true } }, async (request, reply) => {
    await addAuthor(await request.tx(), 'sent')
    return reply.code(201).send({ ok: true })
  })
  const res = await app.inject({ method: 'POST', url: '/test/send' })
  t.equal(res.statusCode, 201)
  t.same(await authorNames(app), ['sent'])
  t.match(poolState(app), { active: 0 })
})

t.test('a handler that throws mid-transaction leaves no row and the pool idle', async (t) => {
  const app = await buildTestApp(t)
  app.post('/test/throw', { config: { transactional: true } }, async (request) => {
    await addAuthor(await request.tx(), 'half-done')
    throw new Error('boom after the write')
  })
  app.post('/test/conflict', { config: { transactional: true } }, async (request, reply) => {
    await addAuthor(await request.tx(), 'refused')
    reply.code(409)
    return { refused: true }
  })
  const res = await app.inject({ method: 'POST', url: '/test/throw' })
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /boom|INSERT/, 'the 500 hides the error')
  const refused = await app.inject({ method: 'POST', url: '/test/conflict' })
  t.equal(refused.statusCode, 409)
  t.same(await authorNames(app), [], 'both writes rolled back')
  t.match(poolState(app), { active: 0, pending: 0 })
  t.equal(poolState(app).idle, poolState(app).total, 'every connection is back in the pool')
})

t.test('a failed COMMIT is an error response, not a 200 for a lost write', async (t) => {
  const app = await buildTestApp(t)
  app.post('/test/commit-fails', { config: { transactional: true } }, async (request) => {
    const tx = await request.tx()
    await addAuthor(tx, 'never committed')
    const [{ id }] = await tx.query('SELECT CONNECTION_ID() AS id')
    const admin = await adminConnection()
    await admin.query(`KILL CONNECTION ${Number(id)}`) // the COMMIT in onSend will find it dead
    await admin.end()
    return { ok: true }
  })
  const res = await app.inject({ method: 'POST', url: '/test/commit-fails' })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(await authorNames(app), [])
  t.match(await waitForIdlePool(app), { active: 0 })
})

t.test('nested request.transaction calls reuse the one connection of a size-1 pool', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1 })
  app.post('/test/nested', { config: { transactional: true } }, async (request) => {
    await addAuthor(await request.tx(), 'outer')
    await request
      .transaction(async (em) => {
        await addAuthor(em, 'inner rolled back')
        throw new Error('undo only the inner one')
      })
      .catch(() => undefined)
    await request.transaction(async (em) => {
      await addAuthor(em, 'inner kept')
      await request.transaction((deeper) => addAuthor(deeper, 'deeper kept'))
      await em.transaction((viaManager) => addAuthor(viaManager, 'manager-nested kept'))
    })
    return { total: poolState(app).total }
  })
  const res = await within(10_000, app.inject({ method: 'POST', url: '/test/nested' }), 'nested transactions')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { total: 1 }, 'never more than the one connection')
  t.same(await authorNames(app), ['outer', 'inner kept', 'deeper kept', 'manager-nested kept'])
  t.match(poolState(app), { active: 0, pending: 0 })
})

t.test('app.db.transaction() inside a request transaction joins it instead of taking a second connection', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1 })
  app.post('/test/datasource-nested', { config: { transactional: true } }, async (request) => {
    await addAuthor(await request.tx(), 'outer')
    await app.db.transaction((em) => addAuthor(em, 'via dataSource'))
    await app.db.manager
      .transaction('SERIALIZABLE', async (em) => {
        await addAuthor(em, 'rolled back to its savepoint')
        throw new Error('undo the nested one only')
      })
      .catch(() => undefined)
    return { total: poolState(app).total }
  })
  app.post('/test/datasource-in-plain-transaction', async (request) => {
    await request.transaction(async (em) => {
      await addAuthor(em, 'plain outer')
      await app.db.transaction((inner) => addAuthor(inner, 'plain nested'))
    })
    return { ok: true }
  })
  const res = await within(10_000, app.inject({ method: 'POST', url: '/test/datasource-nested' }), 'joined transactions')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { total: 1 })
  const plain = await within(
    10_000,
    app.inject({ method: 'POST', url: '/test/datasource-in-plain-transaction' }),
    'joined plain transactions'
  )
  t.equal(plain.statusCode, 200)
  t.same(await authorNames(app), ['outer', 'via dataSource', 'plain outer', 'plain nested'])

  // Outside any request, app.db.transaction() is TypeORM's own again.
  await app.db.transaction((em) => addAuthor(em, 'outside a request'))
  t.same((await authorNames(app)).at(-1), 'outside a request')
  t.match(poolState(app), { active: 0, pending: 0 })
})

t.test('joinsDataSourceTransactions: false leaves app.db.transaction() its own connection and outcome', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2 })
  app.post('/test/not-joined', { config: { transactional: { joinsDataSourceTransactions: false } } }, async (request, reply) => {
    await addAuthor(await request.tx(), 'request transaction')
    // A second connection: while both are held the pool is full, and this write commits on its own.
    const total = await app.db.transaction(async (em) => {
      await addAuthor(em, 'own transaction')
      return poolState(app).total
    })
    reply.code(409) // rolls the request transaction back
    return { total }
  })
  const res = await within(10_000, app.inject({ method: 'POST', url: '/test/not-joined' }), 'unjoined transaction')
  t.equal(res.statusCode, 409)
  t.same(res.json(), { total: 2 }, 'the nested call borrowed a second connection')
  t.same(await authorNames(app), ['own transaction'], 'only the nested call committed')
  await waitForIdlePool(app)
})

t.test('request.transaction on a plain route is its own transaction, nesting on one connection', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1 })
  app.post('/test/plain', async (request) => {
    await request.transaction(async (em) => {
      await addAuthor(em, 'kept')
      await request.transaction((inner) => addAuthor(inner, 'nested kept'))
    })
    await request
      .transaction(async (em) => {
        await addAuthor(em, 'rolled back')
        await request.transaction((inner) => addAuthor(inner, 'rolled back too'))
        throw new Error('roll the whole thing back')
      })
      .catch(() => undefined)
    return { names: await authorNames(app) }
  })
  const res = await within(10_000, app.inject({ method: 'POST', url: '/test/plain' }), 'plain transactions')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { names: ['kept', 'nested kept'] }, 'committed before the handler returned')
  t.match(poolState(app), { active: 0, pending: 0 })
})

t.test('request.tx() on a route that did not opt in is a 500, not a silent autocommit', async (t) => {
  const app = await buildTestApp(t)
  app.get('/test/not-transactional', async (request) => {
    await request.tx()
    return { ok: true }
  })
  const res = await app.inject('/test/not-transactional')
  t.equal(res.statusCode, 500)
})

t.test('a deadlock re-runs the losing handler, and both requests succeed', async (t) => {
  const app = await buildTestApp(t)
  await app.db.query("INSERT INTO authors (id, name) VALUES (1, 'a'), (2, 'b')")
  let attempts = 0
  const bothHoldFirstLock = meetingPoint(2)
  app.post<{ Params: { first: string; second: string } }>(
    '/test/lock/:first/:second',
    { config: { transactional: true } },
    async (request) => {
      const attempt = ++attempts
      const tx = await request.tx()
      const lock = (id: string) => tx.query('SELECT id FROM authors WHERE id = ? FOR UPDATE', [Number(id)])
      await lock(request.params.first)
      if (attempt <= 2) await bothHoldFirstLock()
      await lock(request.params.second)
      await tx.query('UPDATE authors SET bio = ? WHERE id IN (1, 2)', [`attempt ${attempt}`])
      return { attempt }
    }
  )
  const [one, two] = await within(
    20_000,
    Promise.all([
      app.inject({ method: 'POST', url: '/test/lock/1/2' }),
      app.inject({ method: 'POST', url: '/test/lock/2/1' })
    ]),
    'deadlocked requests'
  )
  t.same([one.statusCode, two.statusCode], [200, 200])
  t.equal(attempts, 3, 'the deadlock victim ran once more')
  t.match(poolState(app), { active: 0 })
})

t.test('a route with retries: 0 turns a deadlock into a 503 problem', async (t) => {
  const app = await buildTestApp(t)
  await app.db.query("INSERT INTO authors (id, name) VALUES (1, 'a'), (2, 'b')")
  const bothHoldFirstLock = meetingPoint(2)
  app.post<{ Params: { first: string; second: string } }>(
    '/test/lock/:first/:second',
    { config: { transactional: { retries: 0 } } },
    async (request) => {
      const tx = await request.tx()
      const lock = (id: string) => tx.query('SELECT id FROM authors WHERE id = ? FOR UPDATE', [Number(id)])
      await lock(request.params.first)
      await bothHoldFirstLock()
      await lock(request.params.second)
      return { ok: true }
    }
  )
  const responses = await within(
    20_000,
    Promise.all([
      app.inject({ method: 'POST', url: '/test/lock/1/2' }),
      app.inject({ method: 'POST', url: '/test/lock/2/1' })
    ]),
    'deadlocked requests'
  )
  const statuses = responses.map((res) => res.statusCode).sort()
  t.same(statuses, [200, 503])
  const loser = responses.find((res) => res.statusCode === 503)!
  t.match(loser.json(), { status: 503 })
  t.ok(loser.headers['retry-after'], 'Retry-After is set')
  t.match(poolState(app), { active: 0 })
})

t.test('a transactional GET also answers HEAD, with one transaction per request', async (t) => {
  const app = await buildTestApp(t)
  let runs = 0
  app.get('/test/read', { config: { transactional: true } }, async (request) => {
    runs++
    const [{ n }] = await (await request.tx()).query('SELECT COUNT(*) AS n FROM authors')
    return { authors: Number(n) }
  })
  const get = await app.inject('/test/read')
  t.equal(get.statusCode, 200)
  t.same(get.json(), { authors: 0 })
  const head = await app.inject({ method: 'HEAD', url: '/test/read' })
  t.equal(head.statusCode, 200)
  t.equal(runs, 2)
  t.match(poolState(app), { active: 0 })
})

t.test('a handler that goes on writing after reply.send() has that write committed before the response', async (t) => {
  const app = await buildTestApp(t)
  app.post('/test/send-then-write', { config: { transactional: true } }, async (request, reply) => {
    const tx = await request.tx()
    reply.code(201).send({ ok: true })
    // The payload is held back until the handler settles (src/db/deferred-answer.ts).
    await new Promise((resolve) => setTimeout(resolve, 50))
    await addAuthor(tx, 'written after send')
    return reply
  })
  const res = await app.inject({ method: 'POST', url: '/test/send-then-write' })
  t.equal(res.statusCode, 201)
  t.same(res.json(), { ok: true })
  t.same(await authorNames(app), ['written after send'], 'committed by the time the response arrived')
  t.match(await waitForIdlePool(app), { active: 0 })
})

t.test('a deadlock after the handler answered (before the COMMIT) re-runs it, with its status and headers undone', async (t) => {
  const app = await buildTestApp(t)
  await app.db.query("INSERT INTO authors (id, name) VALUES (1, 'a'), (2, 'b')")
  let attempts = 0
  const bothHoldFirstLock = meetingPoint(2)
  app.post<{ Params: { first: string; second: string } }>(
    '/test/settle-lock/:first/:second',
    { config: { transactional: true } },
    async (request, reply) => {
      const attempt = ++attempts
      const tx = await request.tx()
      const lock = (id: string) => tx.query('SELECT id FROM authors WHERE id = ? FOR UPDATE', [Number(id)])
      await lock(request.params.first)
      // Between the answer and the COMMIT, where a Galera certification failure surfaces too.
      request.beforeCommit(async () => {
        if (attempt <= 2) await bothHoldFirstLock()
        await lock(request.params.second)
      })
      reply.header(`x-attempt-${attempt}`, 'ran')
      if (attempt <= 2) reply.code(202)
      return reply.send({ attempt })
    }
  )
  const responses = await within(
    20_000,
    Promise.all([
      app.inject({ method: 'POST', url: '/test/settle-lock/1/2' }),
      app.inject({ method: 'POST', url: '/test/settle-lock/2/1' })
    ]),
    'deadlocked requests'
  )
  t.equal(attempts, 3, 'the deadlock victim ran once more')
  t.same(responses.map((res) => res.statusCode).sort(), [200, 202], 'the re-run did not keep the 202 its first run set')
  const rerun = responses.find((res) => res.statusCode === 200)!
  t.same(rerun.json(), { attempt: 3 })
  t.same(Object.keys(rerun.headers).filter((name) => name.startsWith('x-attempt-')), ['x-attempt-3'], 'only the re-run’s header')
  t.match(await waitForIdlePool(app), { active: 0 })
})

t.test('a hijacked reply is rolled back and its connection released', async (t) => {
  const app = await buildTestApp(t)
  app.post('/test/hijack', { config: { transactional: true } }, async (request, reply) => {
    await addAuthor(await request.tx(), 'hijacked')
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.end('answered by hand')
    return reply
  })
  const res = await app.inject({ method: 'POST', url: '/test/hijack' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'answered by hand')
  t.same(await authorNames(app), [], 'nothing marks its success: rolled back')
  t.match(await waitForIdlePool(app), { active: 0 })
})
