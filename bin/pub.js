#!/usr/bin/env node
'use strict'

// mqtt_pub: the same as 'mqtt pub'.
require('../lib/cli/main').run(['publish', ...process.argv.slice(2)])
