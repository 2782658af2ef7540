// Public types of mqtt-napi. Hand-written; the client and server types arrive with them.
import * as packet from './packet'

export { packet }
