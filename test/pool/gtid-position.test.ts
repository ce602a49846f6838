import t from 'tap'
import { covers, merged, parseGtidPosition, MAX_POSITION_TEXT } from '../../src/pool/gtid-position'

const p = (text: string) => {
  const position = parseGtidPosition(text)
  if (!position) throw new Error(`not a position: ${text}`)
  return position
}

t.test('parses what MariaDB prints, per domain', async (t) => {
  t.same([...p('0-1-7')], [[0, 7n]])
  t.same([...p('0-1-7,1-2-30')], [[0, 7n], [1, 30n]])
  t.same([...p(' 0-1-7 , 1-2-30 ')], [[0, 7n], [1, 30n]], 'spaces around items')
  t.same([...p('')], [], 'empty: nothing to wait for')
  t.same([...p('4294967295-4294967295-18446744073709551615')], [[4294967295, 18446744073709551615n]], 'the largest ids')
})

t.test('refuses anything else', async (t) => {
  for (const text of ['0-1', '0-1-7-8', 'a-1-7', '0-1-7,', ',0-1-7', '0-1-7;DROP', '0-1-7,0-1-8', '-1-1-7', '0-1-0x7', '4294967296-1-7', '0-1-18446744073709551616', '0-1-7\n1-1-1']) {
    t.equal(parseGtidPosition(text), undefined, JSON.stringify(text))
  }
  t.equal(parseGtidPosition('0-1-7,'.repeat(100)), undefined, `longer than ${MAX_POSITION_TEXT} characters`)
})

t.test('covers compares seq per domain, whatever server wrote it', async (t) => {
  t.ok(covers(p('0-1-9'), p('0-2-7')), 'a later seq of the domain, another server id')
  t.ok(covers(p('0-1-7'), p('0-1-7')), 'equal')
  t.notOk(covers(p('0-1-6'), p('0-1-7')), 'behind')
  t.notOk(covers(p('0-1-9'), p('0-1-7,1-1-1')), 'a domain it has nothing of')
  t.ok(covers(p('0-1-9,1-1-3'), p('1-1-2')), 'only the wanted domains count')
  t.ok(covers(new Map(), p('')), 'nothing wanted')
})

t.test('merged keeps the per-domain maximum', async (t) => {
  t.same([...merged(p('0-1-9,1-1-2'), p('0-1-7,1-1-5,2-1-1'))], [[0, 9n], [1, 5n], [2, 1n]])
})
