//! The only code that names napi.
