import Router from 'find-my-way'
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify'

type RouterMethod = Router.HTTPMethod

/** The order methods are listed in Allow: the usual ones first, the rest alphabetically. */
const LISTING_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * Which methods a path has, for a 405's Allow header. Fastify's router answers "no route"
 * the same for an unknown path and for a known path with the wrong method, so a second
 * find-my-way router, fed the same routes from onRoute, tells the two apart. It is
 * consulted only once a request has already missed, so the hot path pays nothing.
 */
export class AllowedMethods {
  private readonly router: Router.Instance<Router.HTTPVersion.V1>
  private readonly methods = new Set<RouterMethod>()

  constructor(app: FastifyInstance) {
    // Match paths exactly as Fastify's own router does.
    const config = app.initialConfig
    this.router = Router({
      caseSensitive: config.caseSensitive,
      ignoreTrailingSlash: config.ignoreTrailingSlash,
      ignoreDuplicateSlashes: config.ignoreDuplicateSlashes,
      // buildApp sets it in routerOptions (HTTP_MAX_PARAM_LENGTH): the top-level option is deprecated.
      maxParamLength: config.routerOptions?.maxParamLength ?? config.maxParamLength,
      useSemicolonDelimiter: config.useSemicolonDelimiter,
      allowUnsafeRegex: true // Fastify already accepted (or refused) every pattern
    } as Router.Config<Router.HTTPVersion.V1>)
  }

  /** For an onRoute hook. Fastify's derived HEAD routes arrive here too. */
  add(route: Pick<RouteOptions, 'method' | 'url'>): void {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethods[]
    for (const method of methods) {
      const upper = method.toUpperCase() as RouterMethod
      try {
        // Constraints (version, host) are left out: they cannot turn a path's method into another.
        this.router.on(upper, route.url, noop)
        this.methods.add(upper)
      } catch {
        // The same method and path twice under different constraints: already known.
      }
    }
  }

  /** The methods `url` (query string ignored) has; empty for a path no route matches. */
  of(url: string): string[] {
    const path = url.split('?')[0]
    const allowed = [...this.methods].filter((method) => this.router.find(method, path) !== null)
    return allowed.sort(byListingOrder)
  }
}

function byListingOrder(a: string, b: string): number {
  const rank = (method: string) => {
    const index = LISTING_ORDER.indexOf(method)
    return index === -1 ? LISTING_ORDER.length : index
  }
  return rank(a) - rank(b) || a.localeCompare(b)
}

function noop() {}
