// JSRE's mqtt documentation's callback form of mqtt.open, its comments made into prints, and
// client.connect with a will. The test puts the broker's IP where JSRE's dns looks it up.
var socket = require('socket');
var mqtt = require('mqtt');

var serIp = dns.lookup('mqtt://mybroker.com');
var serAddr = socket.sockaddr(serIp, 8010);
var client = null;

mqtt.open(serAddr, undefined, (client, remote) => {
  if (remote) {
    // TCP is connected!
    console.log('TCP is connected! ' + remote.addr + ':' + remote.port);
    client.connect({ client: 'async-open', keepalive: 60, will: true, topic: 'status/async-open', message: 'gone', qos: 1 }, (client) => {
      console.log('MQTT connected: ' + mqtt.mode());
    });
  } else {
    // TCP connect error!
    console.log('TCP connect error!');
  }
}, 2048);
