import fp from 'fastify-plugin'
import { isIPv6 } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config'
import { isLoopbackHost } from '../listen-address'
import { sendProblem } from './send-problem'

/** The names a browser uses for this machine, the only ones a loopback-bound service answers by default. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/** Which Host names are served: exact names, `.example.com` suffixes (the name and its subdomains), or any. */
export interface HostRule {
  any: boolean
  names: Set<string>
  suffixes: string[]
}

/**
 * ALLOWED_HOSTS as a rule. Unset: a service bound to loopback answers only its loopback names,
 * since a browser on this machine is the only client and DNS rebinding the only stranger (a page
 * on evil.example whose name is re-pointed at 127.0.0.1 reaches the port, but sends
 * `Host: evil.example`). Bound anywhere else, unset means any name: probes, proxies and peers
 * in a cluster address it by IPs nobody can list in advance.
 */
export function hostRule(allowedHosts: string | undefined, listenHost: string): HostRule {
  const entries =
    allowedHosts === undefined
      ? isLoopbackHost(listenHost)
        ? LOOPBACK_HOSTS
        : ['*']
      : allowedHosts
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean)
  const rule: HostRule = { any: false, names: new Set(), suffixes: [] }
  for (const entry of entries) {
    if (entry === '*') rule.any = true
    else if (entry.startsWith('.')) rule.suffixes.push(normaliseHost(entry.slice(1)))
    else rule.names.add(normaliseHost(entry))
  }
  return rule
}

/** Lower case, port dropped, an IPv6 address in brackets as the Host header writes it. */
export function normaliseHost(value: string): string {
  let host = value.trim().toLowerCase()
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1)
  else if (isIPv6(host)) host = `[${host}]`
  else host = host.replace(/:\d*$/, '')
  // A fully qualified name's trailing dot names the same host.
  return host.endsWith('.') ? host.slice(0, -1) : host
}

export function hostAllowed(rule: HostRule, hostHeader: string | undefined): boolean {
  if (rule.any) return true
  if (hostHeader === undefined || hostHeader === '') return false
  const host = normaliseHost(hostHeader)
  return rule.names.has(host) || rule.suffixes.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))
}

/**
 * Refuses a request whose Host is not one this service answers to, with 421 Misdirected
 * Request (RFC 9110 15.5.20: this server will not answer for that authority; a client may try
 * another), before the request is routed to a handler, validated or given a connection: the
 * first onRequest hook after CORS. Health endpoints obey it too, so a probe sends an allowed
 * Host (docs/security.md).
 */
/** Distinct accepted Host values remembered; past this the set starts over. */
const ACCEPTED_HOSTS_REMEMBERED = 64

async function hostCheck(app: FastifyInstance, { config }: { config: Config }) {
  const rule = hostRule(config.ALLOWED_HOSTS, config.HOST)
  if (rule.any) return
  // Nearly every request names the same Host: the accepted header values are remembered as sent.
  const accepted = new Set<string>()
  app.addHook('onRequest', function checkHost(request, reply, done) {
    const host = request.headers.host
    if (host !== undefined && accepted.has(host)) return done()
    if (hostAllowed(rule, host)) {
      if (accepted.size >= ACCEPTED_HOSTS_REMEMBERED) accepted.clear()
      accepted.add(host!)
      return done()
    }
    request.log.info({ host: host?.slice(0, 100) }, 'request refused: Host not allowed')
    sendProblem(reply, 'host-not-allowed', 'this server does not answer for the Host the request names')
  })
}

export default fp(hostCheck, { name: 'lifeguard-host-check', fastify: '5.x' })
