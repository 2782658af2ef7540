// Sample 6 of the device runtime's MQTT documentation, as printed there:
// This is a sample to manually reconnect MQTT.
// If the reconnects fail consecutively, release the instance and recreate it.
var mqttUrl = 'mqtt://foo.bar:1883';
var reconnectAttempts = 0;
var maxReconnectAttempts = 24;
var registerEventHandlers = function() {
if(!client) {
return;
}
client.on('error', function(err) {
print('ERROR: ' + err.code + ' ERRNO: ' + client.get('errnoConnect'));
if (err.code == 1) { //Connection failed
if (reconnectAttempts++ < maxReconnectAttempts) {
print('reconnectAttempts:', reconnectAttempts);
client.reconnect();
} else {
print('ABORT');
reconnectAttempts = 0;
client.end(); //Release mqtt instance
client = undefined;
}
}
});
client.on('message', function(topic, message) {
print('TOPIC: ' + topic + ' MESSAGE: ' + message);
//TODO: Message handling
});
client.on('close', function() {
print("DISCONNECTED");
client.reconnect();
});
client.on('connect', function() {
reconnectAttempts = 0;
print("CONNECTED");
client.subscribe("foo_topic/device01/#", { qos: 1 }, function(err) {
if(err.code > 0) {
print("MQTT SUBSCRIBE ERROR", err.code);
//TODO: Error handling
}
});
});
}
var client = mqtt.connect(mqttUrl);
if(!client) {
throw 'Failed to create mqtt instance';
}
registerEventHandlers();
setInterval(function() {
if(!client) {
print('mqtt instance recreate');
client = mqtt.connect(mqttUrl);
registerEventHandlers();
}
if(client && client.canPublish()) {
var body = JSON.stringify({ "message" : "dummy" });
client.publish("foo_topic/device01/dummy", body, { qos: 1 }, function(err) {
if(err.code == 0) {
print('Publish OK');
} else {
print('Publish failed');
//TODO: Error handling
}
});
}
}, 15000);
