import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Author } from '../../entities'
import { adminConnection, buildTestApp } from '../helper'
import { assertPoolSettled, openTransactions } from './fault-support'

const ABORTED_REQUESTS = 1_000
const CONCURRENCY = 50

t.test('1,000 requests aborted mid-transaction leave the pool idle and no transaction open', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 10 })
  const database = app.db.options.database as string
  // Resolvers keyed by request id: the client hangs up exactly when its transaction has written.
  const wrote = new Map<string, () => void>()
  app.post<{ Querystring: { id: string } }>('/test/abandoned', { config: { transactional: true } }, async (request, reply) => {
    const closed = new Promise((resolve) => reply.raw.once('close', resolve))
    const tx = await request.tx()
    await tx.insert(Author, { name: `abandoned ${request.query.id}` })
    wrote.get(request.query.id)?.()
    await closed
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  let hungUpMidTransaction = 0
  const sendAndHangUp = (id: string) =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/test/abandoned?id=${id}`, method: 'POST' })
      req.on('error', () => resolve()) // the hang-up we cause
      req.on('response', (res) => {
        res.resume()
        resolve()
      })
      wrote.set(id, () => {
        hungUpMidTransaction++
        req.destroy()
      })
      req.end()
    })
  for (let sent = 0; sent < ABORTED_REQUESTS; sent += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => sendAndHangUp(String(sent + i))))
  }
  t.equal(hungUpMidTransaction, ABORTED_REQUESTS, 'every client hung up after its transaction wrote')

  await assertPoolSettled(t, app)
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  t.equal(await openTransactions(admin, database), 0, 'no transaction left open on the server')
  const [rows] = (await admin.query(`SELECT COUNT(*) AS n FROM \`${database}\`.authors`)) as any
  t.equal(Number(rows[0].n), 0, 'none of the abandoned writes survived')
  t.equal((await app.inject('/authors')).statusCode, 200, 'the pool still serves')
})
