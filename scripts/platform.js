'use strict'

// The platform suffix napi-rs uses in binary names: linux-x64-gnu, darwin-arm64, ...

function isMusl () {
  if (process.platform !== 'linux') return false
  try {
    const report = process.report.getReport()
    const header = typeof report === 'string' ? JSON.parse(report).header : report.header
    return !header.glibcVersionRuntime
  } catch {
    return false
  }
}

function platformArchABI () {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

module.exports = { platformArchABI }
