//! The one place that turns engine errors into JS errors. The status string becomes the JS
//! error's `code`, so programs can test `err.code` as they do with Node's errors.

use crate::error::Error;

/// A JS error code, such as `ERR_MQTT_MALFORMED`.
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// A napi error whose JS `code` is one of ours.
pub type JsError = napi::Error<Code>;

/// One-word conversion at call sites: `result.js()?`.
#[cfg_attr(test, allow(dead_code))]
pub(crate) trait JsResultExt<T> {
    fn js(self) -> Result<T, JsError>;
}

impl<T, E: Into<Error>> JsResultExt<T> for Result<T, E> {
    fn js(self) -> Result<T, JsError> {
        self.map_err(|e| {
            let e: Error = e.into();
            napi::Error::new(Code(e.code()), e.to_string())
        })
    }
}

/// An invalid-argument error with a message.
pub(crate) fn invalid_arg(msg: impl Into<String>) -> JsError {
    let e = Error::InvalidArgument(msg.into());
    napi::Error::new(Code(e.code()), e.to_string())
}
