'use strict'
// Run by ava (open-handles.test.js).
const test = require('ava')
const cases = require('./scenario')

for (const [name, run] of Object.entries(cases)) {
  test(name, async (t) => {
    await run()
    t.pass()
  })
}
