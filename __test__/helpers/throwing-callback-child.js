'use strict'

// Run as a child process by fidelity.test.js: five QoS 0 publishes in one turn, the second
// callback throws. Prints how many callbacks ran and how many exceptions reached the process.
// argv: broker url

const impl = require('./impl')

const mqtt = impl.mqtt()
let calls = 0
let uncaught = 0
process.on('uncaughtException', () => { uncaught++ })
const c = mqtt.connect(process.argv[2], { reconnectPeriod: 0 })
c.on('connect', () => {
  for (let i = 0; i < 5; i++) {
    c.publish('fidelity/throwing', String(i), { qos: 0 }, () => {
      calls++
      if (i === 1) throw new Error('listener bug')
    })
  }
  setTimeout(() => {
    console.log(`calls=${calls} uncaught=${uncaught}`)
    c.end(true)
  }, 500)
})
