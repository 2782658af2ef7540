#!/usr/bin/env node
'use strict'

require('../lib/cli/main').run(process.argv.slice(2))
