'use strict'
// Run by jest (open-handles.test.js); `test` is jest's global.
const cases = require('./scenario')

for (const [name, run] of Object.entries(cases)) test(name, run)
