// ESM entry: `import mqtt from 'mqtt-napi'` and named imports of everything index.js exports.
import mqtt from './index.js'

export const {
  connect,
  connectAsync,
  MqttClient,
  Client,
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  KeepaliveManager,
  ReasonCodes,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  nextTick,
  MQTTJS_VERSION,
  applyMixin,
  validateTopic,
  validateTopics,
  MqttConnection,
  createConnection,
  createServer,
  createSecureServer,
  createWebSocketServer,
  MqttServer,
  MqttSecureServer,
  MqttServerClient,
  packet
} = mqtt
export default mqtt
