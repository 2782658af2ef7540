'use strict'
// Run by node:test's default runner (open-handles.test.js).
const test = require('node:test')
const cases = require('./scenario')

for (const [name, run] of Object.entries(cases)) test(name, run)
