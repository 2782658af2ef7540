// Sample 5 of the device runtime's MQTT documentation, as printed there:
// This is a sample to connect MQTT with automatic reconnection enabled.
// After connection, loopback test of transmission and reception is performed.
var client = mqtt.connect('mqtt://foo.bar:1883', {reconnectCount: 1855});
if(!client) {
throw 'Failed to create mqtt instance';
}
client.on('error', function(err) {
print('ERROR: ' + err.code + ' ERRNO: ' + client.get('errnoConnect'));
//TODO: Error handling
});
client.on('message', function(topic, message) {
print('TOPIC: ' + topic + ' MESSAGE: ' + message);
//TODO: Message handling
});
client.on('connect', function() {
print('CONNECTED');
client.subscribe('testtopic/subtopic/#', { qos: 1 }, function(err) {
if(err.code > 0) {
print('MQTT SUBSCRIBE ERROR', err.code);
//TODO: Error handling
}
});
client.subscribe('shadowtopic/#', { qos: 1 }, function(err) {
if(err.code > 0) {
print('MQTT SUBSCRIBE ERROR', err.code);
//TODO: Error handling
}
});
});
setInterval(function() {
if (client.canPublish()) {
var body = JSON.stringify({ "message" : "dummy" });
client.publish('testtopic/subtopic/dummy', body, { qos: 1 }, function(err) {
if(err.code == 0) {
print('Publish OK');
} else {
print('Publish failed');
//TODO: Error handling
}
});
} else {
print('Cannot publish');
}
}, 15000);
