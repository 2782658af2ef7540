// ESM entry of `mqtt-napi/device`.
import mqtt from './device.js'

export const { connect, set, Client, MqttError, Codes, Errno } = mqtt
export default mqtt
