// @ts-check
'use strict'

// JSRE's `socket.sockaddr(ip, port)`: the socket address object `mqtt.open` takes.

const net = require('node:net')

const AF_INET = 2
const AF_INET6 = 10

/**
 * `{ domain, addr, port }`; the address is an IP address (a host name works on Node too).
 * @param {string} addr @param {number} port
 */
function sockaddr (addr, port) {
  if (typeof addr !== 'string' || addr.length === 0) throw new TypeError('sockaddr: addr must be an IP address string')
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError('sockaddr: port must be 1-65535')
  return { domain: net.isIPv6(addr) ? AF_INET6 : AF_INET, addr, port }
}

module.exports = { sockaddr, AF_INET, AF_INET6 }
