//! Small tokio loops joining a session to a transport: client, server connection, shutdown.
//!
//! Not built yet: it arrives with the client work (issue 3).
