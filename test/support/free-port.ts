import net from 'node:net'

/**
 * A port nothing listens on right now (the kernel's pick), for a process that must be told its
 * port up front (an HAProxy backend, a Galera node's group port). Another process could take it
 * before ours binds; on loopback in a test that is rare enough to accept.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}
