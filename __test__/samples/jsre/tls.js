// JSRE's mqtt documentation's snippets, joined into one script: the synchronous TLS open,
// client.connect with the documented options, then publish, subscribe and unsubscribe as
// its examples call them. The test puts the CA's PEM text where JSRE's fs reads ca.pem.
var socket = require('socket');
var mqtt = require('mqtt');

var serAddr = socket.sockaddr('192.168.0.1', 8020);
var tlsOpt = {
  rejectUnauthorized: true,
  ca: fs.readString('./ca.pem'),
  server: 'xxx.xxx.com'
};

var client = mqtt.open(serAddr, tlsOpt, 5000);
if (!client) {
  console.log('Can not connect to broker.');
}

/* MQTT Client Options */
var options = { client: 'mybroker', user: 'admin', passwd: 'password', will: false, topic: '', message: '', keepalive: 60, qos: 0 };

client.connect(options, (client) => {
  // MQTT Connected!
  console.log('MQTT Connected!');
  client.subscribe('topic1', { qos: 1 });
  client.on('message', (data) => {
    console.log(`message ${data.topic} ${data.message} qos ${data.qos} packetId ${data.packetId}`);
  });
  client.publish('topic1', 'message1');
  client.publish('topic2', 'message2', { qos: 1 });
  client.publish('topic3', 'message3', { qos: 1 }, (error) => {
    if (error) {
      console.log('Publish error:', error);
    } else {
      console.log('Published message3');
      client.unsubscribe('topic1');
    }
  });
});
