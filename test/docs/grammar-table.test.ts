import 'reflect-metadata'
import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { entities } from '../../entities'
import { buildResourceModel } from '../../src/rest/resource-model'
import { listGrammarOf } from '../../src/rest/list/grammar'
import { linkRelations } from '../../src/rest/relations'
import { metadataOf } from '../fixtures/metadata'

/**
 * docs/rest.md's table of list query families is the grammar's (src/rest/list/grammar.ts):
 * a family the code gains must get its row, and a row must not outlive its family.
 */
t.test("docs/rest.md lists exactly the list grammar's families, spelled as the code spells them", async (t) => {
  const metadata = await metadataOf(entities)
  const models = entities.map((entity) => buildResourceModel(metadata(entity)))
  linkRelations(models)
  const families = new Map<string, string>()
  for (const model of models) {
    for (const family of listGrammarOf(model).families) families.set(family.name, family.spelling)
  }
  const markdown = readFileSync(path.join(__dirname, '../../docs/rest.md'), 'utf8')
  const section = markdown.slice(markdown.indexOf('## Lists'), markdown.indexOf('```sh', markdown.indexOf('## Lists')))
  const rows = new Map<string, string>()
  for (const match of section.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)) rows.set(match[1], match[2])
  t.ok(rows.size >= 5, `the table has rows (${[...rows.keys()].join(', ')})`)
  t.same([...rows.keys()].sort(), [...families.keys()].sort(), 'one row per family')
  for (const [name, spelling] of families) {
    t.ok(rows.get(name)?.startsWith(spelling), `${name}: the row spells its keys ${spelling}`)
  }
})
