// ESM entry of `mqtt-napi/jsre`.
import mqtt from './jsre.js'

export const { open, mode, sockaddr, Client } = mqtt
export default mqtt
