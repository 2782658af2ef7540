// ESM entry: `import mqtt from 'mqtt-napi'` and named imports of everything index.js exports.
import mqtt from './index.js'

export const { packet } = mqtt
export default mqtt
