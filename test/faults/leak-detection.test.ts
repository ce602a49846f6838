import t from 'tap'
import { createTestDatabase } from '../helper'
import { guardedDataSource, sleep } from '../pool/guard-harness'

/** Named so the warning can be checked for it: the code that "forgot" to release. */
async function borrowAndForget(dataSource: import('typeorm').DataSource) {
  const runner = dataSource.createQueryRunner()
  await runner.query('SELECT 1')
  return runner
}

t.test('a leaked QueryRunner produces exactly one warning naming the caller', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { dataSource, logger, guard } = await guardedDataSource(t, { ...config, DB_POOL_LEAK_DETECTION_MS: 200 })
  const leaked = await borrowAndForget(dataSource)
  const returned = dataSource.createQueryRunner()
  await returned.query('SELECT 1')
  await returned.release()

  await sleep(700)
  const warnings = logger.lines.filter((line) => line.level === 'warn')
  t.equal(warnings.length, 1, 'one warning, not one per sweep')
  t.match(warnings[0].msg, /held longer than DB_POOL_LEAK_DETECTION_MS \(200 ms\)/)
  t.match(warnings[0].obj.borrowedBy, /borrowAndForget/, 'names the function that borrowed')
  t.match(warnings[0].obj.borrowStack, /leak-detection\.test\.ts/, 'with the stack of the borrow')
  t.ok((warnings[0].obj.heldMs as number) >= 200)

  await leaked.release()
  t.equal(guard.stats().active, 0, 'the connection comes back once released')
  await sleep(300)
  t.equal(logger.lines.filter((line) => line.level === 'warn').length, 1, 'no late warning after the release')
})
