#!/usr/bin/env node
'use strict'

// mqtt_sub: the same as 'mqtt sub'.
require('../lib/cli/main').run(['subscribe', ...process.argv.slice(2)])
