'use strict'

// Which JavaScript runtime runs this package. Bun and Deno load Node-API addons but their
// event loops are not Node's libuv: Bun's uv_poll_init aborts the process ("unsupported uv
// function"), Deno's poll handles never report. On them every connection is read on the
// native I/O thread; on Node (and runtimes built on it, as Electron), plain TCP may be read
// on the JS thread (src/binding/poll.rs). Deno also cannot run some Node-API calls in an
// environment's clean-up hooks (src/binding/notifier.rs).

const versions = process.versions || {}

/** 'bun', 'deno' or 'node'. */
const name = typeof versions.bun === 'string' ? 'bun' : typeof versions.deno === 'string' ? 'deno' : 'node'

module.exports = { name }
