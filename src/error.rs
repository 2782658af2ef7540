//! The crate error: gathers each layer's error and gives it a stable `code()` string, which
//! the binding turns into `err.code` for JS.

use crate::codec::{DecodeError, EncodeError};

/// Any error the engine reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bytes from the peer could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A packet could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Bad argument from the caller.
    #[error("{0}")]
    InvalidArgument(String),
}

impl Error {
    /// A stable code for programs to test: `ERR_MQTT_MALFORMED`, `ERR_MQTT_PACKET_TOO_LARGE`,
    /// `ERR_INVALID_ARG_VALUE`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Decode(DecodeError::PacketTooLarge { .. })
            | Error::Encode(EncodeError::PacketTooLarge { .. }) => "ERR_MQTT_PACKET_TOO_LARGE",
            Error::Decode(DecodeError::Incomplete { .. }) => "ERR_MQTT_INCOMPLETE",
            Error::Decode(DecodeError::Invalid(v)) | Error::Encode(EncodeError::Invalid(v)) => {
                if v.reason_code == crate::codec::MALFORMED {
                    "ERR_MQTT_MALFORMED"
                } else {
                    "ERR_MQTT_PROTOCOL"
                }
            }
            Error::InvalidArgument(_) => "ERR_INVALID_ARG_VALUE",
        }
    }
}
