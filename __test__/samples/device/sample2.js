// Sample 2 of the device runtime's MQTT documentation, as printed there:
// This is a sample MQTTS connection.
// Starts a 10-second period timer, transmits and receives.
var sslCa = '-----BEGIN CERTIFICATE-----\n(...ContentOmission...)\n-----END CERTIFICATE-----';
mqtt.set('ssl.ca', sslCa);
var client = mqtt.connect('mqtts://foo.bar:8883');
if(!client) {
print('Failed to create mqtt instance');
} else {
client.on('connect', function(connack) {
print('CONNECTED');
client.subscribe('foo_topic/device01');
});
client.on('error', function(err) {
print('ERROR: ' + err.code + ' ERRNO: ' + client.get('errnoConnect'));
if(1 == err.code) { //Connection failed
client.reconnect();
}
//TODO: Error handling
});
client.on('close', function() {
print("DISCONNECTED");
client.reconnect();
});
client.on('message', function(topic, message) {
print('TOPIC: ' + topic + ' MESSAGE: ' + message);
//TODO: Message handling
});
}
var tmobj = setInterval(function() {
if(!client) {
} else {
if(client.isConnected()) {
var dummyBatteryLevel = 10;
if(10 >= dummyBatteryLevel) {
client.publish( 'bar_topic/device01',
'Battery level : '
+ dummyBatteryLevel.toString()
+ '%');
}
} else {
print('Skipped');
}
}
}, 10000);
