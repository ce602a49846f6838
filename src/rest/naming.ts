/**
 * URL naming of entity routes: `Book` -> `/books`, `BookReview` -> `/book-reviews`,
 * `Category` -> `/categories`. English plurals beyond these rules take `@RestResource({ path })`.
 */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

export function pluralize(word: string): string {
  if (/[^aeiou]y$/.test(word)) return word.slice(0, -1) + 'ies'
  if (/(s|x|z|ch|sh)$/.test(word)) return word + 'es'
  return word + 's'
}

/** The default collection path of an entity class name. */
export function resourcePath(className: string): string {
  return '/' + pluralize(kebabCase(className))
}

/** A MySQL identifier, quoted. Identifiers only ever come from entity metadata, never from a request. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`'
}
