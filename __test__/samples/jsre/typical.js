// The typical MQTT client of JSRE's mqtt documentation, as printed there.

var iosched = require('iosched');
var socket = require('socket');
var mqtt = require('mqtt');

// Server
var server = socket.sockaddr('192.168.0.2', 61613);

// Seq-number
var seqNumer = 0;

// MQTT Client
var client = null;

// MQTT Client Options.
var options = { client: 'mybroker', user: 'admin', passwd: 'password', keepalive: 60 };

// MQTT open
function clientOpen() {
  client = mqtt.open(server, null, 5000);
  if (client === undefined) {
    console.log(`Can not open ${server.addr} MQTT server!`);
    return false;

  } else {
    console.log(`${server.addr} MQTT server opened!`);
    client.on('message', function(data) {
      console.log(`recevied a message from mqtt, topic: ${data.topic}, message: ${data.message}`);
    });
    client.on('disconnect', function() {
      console.error('Lost broker!');
      setTimeout(clientConnectTimeout, 2000);
    });
    return true;
  }
}

// MQTT Publish timer
function clientPublishTimeout() {
  if (client) {
    try {
      if (client.isConnected()) {
        client.publish('/testing', 'test' + seqNumer);
        seqNumer++;
      }
    } catch (error) {
      console.log('Pulish error:', error);
    }
  }
}

// MQTT Connect timer.
function clientConnectTimeout() {
  if (clientOpen()) {
    console.log(`${server.addr} MQTT server connecting!`);
    client.connect(options, () => {
      console.log(`${server.addr} MQTT server connected!`);
      client.subscribe('/testing', { qos: 1 }, () => {
        console.log(`${server.addr} MQTT server subscribed!`);
      });
    });
  } else {
    setTimeout(clientConnectTimeout, 2000);
  }
}

// Connect
setImmediate(clientConnectTimeout);

// Publish test every 5 seconds.
setInterval(clientPublishTimeout, 5000);

// Asynchronous event loop
iosched.forever();
