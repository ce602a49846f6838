import t from 'tap'
import { compareDecimalText, compareStored } from '../../src/rest/kinds/stored-order'

// between=low,high is refused when low is above high, by the database's order of the bound values.

t.test('decimals compare exactly, whatever their length or sign', async (t) => {
  const ascending = ['-100.5', '-99.99', '-0.001', '0', '0.001', '9.99', '10', '10.00001', '12345678901234567890.0000000001', '12345678901234567890.0000000002']
  for (let i = 0; i < ascending.length; i++) {
    for (let j = 0; j < ascending.length; j++) {
      t.equal(compareDecimalText(ascending[i], ascending[j]), Math.sign(i - j), `${ascending[i]} vs ${ascending[j]}`)
    }
  }
  t.equal(compareDecimalText('-0', '0'), 0, '-0 is 0')
  t.equal(compareDecimalText('10.50', '10.5'), 0, 'trailing zeros')
})

t.test('each kind that takes between orders as the database does', async (t) => {
  t.equal(compareStored('time', '-01:00:00', '00:30:00'), -1, 'negative TIME first')
  t.equal(compareStored('time', '100:00:00', '99:59:59.999999'), 1, 'TIME past 99 hours')
  t.equal(compareStored('time', '-02:00:00', '-01:00:00'), -1, 'more negative is smaller')
  t.equal(compareStored('bigint', '-9223372036854775808', '9223372036854775807'), -1)
  t.equal(compareStored('bigint', '9007199254740993', '9007199254740992'), 1, 'beyond a double')
  t.equal(compareStored('datetime', '2026-01-31 12:00:00.000001', '2026-01-31 12:00:00.000000'), 1)
  t.equal(compareStored('date', '2026-02-01', '2026-02-01'), 0)
  t.equal(compareStored('integer', 9, 10), -1)
  t.equal(compareStored('float', 1.5, -2), 1)
})
