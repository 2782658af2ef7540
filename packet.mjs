import packet from './packet.js'

export const { parser, generate, writeToStream, Parser } = packet
export default packet
