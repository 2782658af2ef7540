//! How many connection attempts to one server are in progress at once, from this process.
//!
//! A server takes new connections from a listen queue of fixed length (Mosquitto's holds
//! 100). A burst of attempts larger than what it accepts in time overflows that queue: the
//! kernel drops the extra SYNs, and each of those clients waits a second (then three, then
//! seven) for its retransmission. Thousands of clients started together, or reconnecting
//! together after the server restarted, took many times longer to connect that way than
//! with fewer attempts in flight. So attempts to one server (TCP connect to CONNACK) pass a
//! gate whose width adapts, as a TCP congestion window does, on the attempts' times:
//! - it opens by one for each attempt to a far server (2 ms or more away) answered within a
//!   few round trips, while the width is in use (so a far server's bursts are not held back;
//!   a near one is answered fast enough through the first width);
//! - it closes by one for each attempt whose time says that many attempts queue at the
//!   server ([`Window::QUEUED_MOST`]) - the queue that overflows;
//! - it halves when a TCP connect took a SYN retransmission (a dropped SYN), once for the
//!   attempts that were in flight together.
//!
//! Waiting at the gate counts toward the connect timeout (the caller times the whole
//! attempt), so an unreachable server fails every client after the same time as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The gate's width and what it learned, in microseconds since the gate was made.
#[derive(Debug, Clone)]
pub struct Window {
    /// Attempts allowed in flight.
    pub limit: u32,
    /// Attempts in flight.
    pub in_flight: u32,
    /// The fastest attempt (permit to CONNACK) lately, and when it was seen.
    fastest: Option<(u64, u64)>,
    /// The fastest TCP connect lately, and when it was seen.
    fastest_open: Option<(u64, u64)>,
    /// When the width was last halved: attempts started before then do not halve it again.
    halved_at: Option<u64>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            limit: Self::INITIAL,
            in_flight: 0,
            fastest: None,
            fastest_open: None,
            halved_at: None,
        }
    }
}

impl Window {
    /// The width at first: below the listen queue of common servers (Mosquitto 100, EMQX
    /// 1,024, Linux's default cap 4,096).
    pub const INITIAL: u32 = 64;
    pub const LEAST: u32 = 8;
    pub const MOST: u32 = 4096;
    /// Attempts estimated to be queued at the server above which the width closes, and below
    /// which it may open.
    pub const QUEUED_MOST: u32 = 48;
    pub const QUEUED_LEAST: u32 = 16;
    /// The least round trip (fastest TCP connect) at which the width opens: below it, 64
    /// attempts at a time of a few round trips each make thousands of connections a second.
    const FAR: u64 = 2_000;
    /// What an attempt may take beyond six round trips (TCP, TLS, WebSocket, CONNECT) and
    /// still open the width.
    const SLACK: u64 = 5_000;
    /// A TCP connect this much slower than the fastest had a SYN retransmitted (Linux's
    /// first retransmission comes after one second).
    const RETRANSMITTED: u64 = 900_000;
    /// How long the fastest time seen stands, before a slower sample replaces it (the path
    /// or the server may have changed).
    const FASTEST_FOR: u64 = 10_000_000;

    /// An attempt took a permit.
    pub fn start(&mut self) {
        self.in_flight += 1;
    }

    /// The TCP connect of an attempt started at `started` took `took`.
    pub fn opened(&mut self, started: u64, took: u64, now: u64) {
        let fastest = refresh(&mut self.fastest_open, took, now);
        if took >= fastest + Self::RETRANSMITTED && self.halved_at.is_none_or(|at| started > at) {
            self.limit = (self.limit / 2).max(Self::LEAST);
            self.halved_at = Some(now);
        }
    }

    /// An attempt started at `started` got its CONNACK at `now`.
    pub fn connected(&mut self, started: u64, now: u64) {
        let took = now.saturating_sub(started).max(1);
        let fastest = refresh(&mut self.fastest, took, now);
        // Of the attempts in flight, about this many wait at the server rather than travel
        // (TCP Vegas's estimate: in flight x (1 - fastest / this one)).
        let queued = u64::from(self.in_flight) * (took - fastest.min(took)) / took;
        // The path's round trip (the fastest TCP connect): a server this close is answered
        // fast enough through the first width, and an attempt taking more than a few round
        // trips waited somewhere (at the server, or for the application's thread to read).
        let path = self.fastest_open.map_or(0, |(f, _)| f);
        let explained = path >= Self::FAR && took <= 6 * path + Self::SLACK;
        if queued > u64::from(Self::QUEUED_MOST) {
            self.limit = (self.limit - 1).max(Self::LEAST);
        } else if explained
            && queued < u64::from(Self::QUEUED_LEAST)
            && self.in_flight * 2 >= self.limit
        {
            self.limit = (self.limit + 1).min(Self::MOST);
        }
    }

    /// An attempt ended (connected or not): its permit comes back.
    pub fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// Keeps the least of `sample` and the fastest seen lately; returns it.
fn refresh(fastest: &mut Option<(u64, u64)>, sample: u64, now: u64) -> u64 {
    match *fastest {
        Some((f, at)) if f <= sample && now.saturating_sub(at) < Window::FASTEST_FOR => f,
        _ => {
            *fastest = Some((sample, now));
            sample
        }
    }
}

/// The gate to one server.
pub struct Gate {
    permits: Semaphore,
    /// The window, and how many permits exist (given out or in `permits`).
    state: Mutex<(Window, u32)>,
    epoch: Instant,
}

impl Gate {
    fn new() -> Self {
        Gate {
            permits: Semaphore::new(Window::INITIAL as usize),
            state: Mutex::new((Window::default(), Window::INITIAL)),
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Window, u32)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a permit to start an attempt. The wait is boxed: most attempts do not
    /// wait, and the caller's state is every idle connection's.
    pub async fn enter(self: Arc<Self>) -> Ticket {
        match self.permits.try_acquire() {
            Ok(p) => p.forget(),
            // The semaphore is never closed.
            Err(_) => {
                if let Ok(p) = Box::pin(self.permits.acquire()).await {
                    p.forget();
                }
            }
        }
        let started = self.now();
        self.lock().0.start();
        Ticket {
            gate: self,
            started,
        }
    }

    /// The window as it stands (for tests and diagnostics).
    pub fn window(&self) -> Window {
        self.lock().0.clone()
    }

    fn release(&self) {
        let mut g = self.lock();
        let (window, capacity) = &mut *g;
        window.finish();
        let limit = window.limit;
        if *capacity > limit {
            // The window closed: this permit goes away.
            *capacity -= 1;
        } else {
            let add = 1 + (limit - *capacity);
            *capacity = limit;
            drop(g);
            self.permits.add_permits(add as usize);
        }
    }
}

/// One attempt's permit; dropping it ends the attempt without a sample (a failure, or the
/// client ended).
pub struct Ticket {
    gate: Arc<Gate>,
    started: u64,
}

impl Ticket {
    /// The attempt's TCP connection opened, `took` after it started.
    pub fn opened(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let now = self.gate.now();
        self.gate.lock().0.opened(self.started, took, now);
    }

    /// The attempt got its CONNACK; its permit comes back as the ticket drops.
    pub fn connected(self) {
        let now = self.gate.now();
        self.gate.lock().0.connected(self.started, now);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.release();
    }
}

/// Every server's gate, by host and port, while a client holds it.
type Gates = HashMap<(Box<str>, u16), Weak<Gate>>;

/// The gate to `host:port`, shared by every client of this process connecting there;
/// none with `MQTT_NAPI_OPENING_GATE=off` in the environment (every attempt at once, as
/// MQTT.js).
pub fn gate(host: &str, port: u16) -> Option<Arc<Gate>> {
    static OFF: OnceLock<bool> = OnceLock::new();
    if *OFF.get_or_init(|| std::env::var("MQTT_NAPI_OPENING_GATE").as_deref() == Ok("off")) {
        return None;
    }
    static GATES: OnceLock<Mutex<Gates>> = OnceLock::new();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let key = (Box::<str>::from(host), port);
    if let Some(g) = gates.get(&key).and_then(Weak::upgrade) {
        return Some(g);
    }
    let g = Arc::new(Gate::new());
    if gates.len() >= 64 && gates.len().is_power_of_two() {
        gates.retain(|_, w| w.strong_count() > 0);
    }
    gates.insert(key, Arc::downgrade(&g));
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;

    /// A window with its first width of attempts in flight.
    fn full() -> Window {
        let mut w = Window::default();
        for _ in 0..Window::INITIAL {
            w.start();
        }
        w
    }

    /// A gate with every permit of its first width taken, and the tickets.
    async fn full_gate() -> (Arc<Gate>, Vec<Ticket>) {
        let g = Arc::new(Gate::new());
        let mut held = Vec::new();
        for _ in 0..Window::INITIAL {
            held.push(g.clone().enter().await);
        }
        (g, held)
    }

    #[test]
    fn a_far_server_in_use_opens_the_window() {
        let mut w = full();
        // 20 ms away, answered in three round trips: the width opens by one per answer.
        for i in 0..10 {
            w.opened(i * MS, 20 * MS, i * MS + 20 * MS);
            w.connected(i * MS, i * MS + 60 * MS);
            w.finish();
            w.start();
        }
        assert_eq!(w.limit, Window::INITIAL + 10);
        // An answer taking far more than a few round trips waited somewhere: no wider.
        w.connected(100 * MS, 300 * MS);
        assert_eq!(w.limit, Window::INITIAL + 10);
    }

    #[test]
    fn a_near_server_keeps_the_first_width() {
        let mut w = full();
        // 50 us away, every answer as fast as the first (a fresh server after a restart,
        // answers read in one batch by the application's thread): the width stays.
        for i in 0..200 {
            w.opened(i * MS, 50, i * MS + 50);
            w.connected(i * MS, i * MS + 8 * MS);
            w.finish();
            w.start();
        }
        assert_eq!(w.limit, Window::INITIAL);
    }

    #[test]
    fn an_idle_window_does_not_grow() {
        let mut w = Window::default();
        for i in 0..100 {
            w.start();
            w.opened(i * MS, 20 * MS, i * MS + 20 * MS);
            w.connected(i * MS, i * MS + 60 * MS);
            w.finish();
        }
        assert_eq!(w.limit, Window::INITIAL);
    }

    #[test]
    fn attempts_queueing_at_the_server_close_the_window() {
        let mut w = Window::default();
        w.start();
        w.connected(0, MS);
        w.finish();
        for _ in 0..64 {
            w.start();
        }
        // 64 in flight, each taking 10x the fastest: ~57 queue at the server.
        w.connected(10 * MS, 20 * MS);
        assert_eq!(w.limit, Window::INITIAL - 1);
        // 64 in flight taking 2x the fastest: 32 queue, between the bounds: no change.
        w.connected(30 * MS, 32 * MS);
        assert_eq!(w.limit, Window::INITIAL - 1);
    }

    #[test]
    fn a_retransmitted_syn_halves_the_window_once_per_flight() {
        let mut w = Window::default();
        w.start();
        w.opened(0, 100, 100);
        for started in [1_000, 2_000, 3_000] {
            w.start();
            w.opened(started, 1_000 * MS, started + 1_000 * MS);
        }
        // Three attempts of one flight saw a drop: one halving.
        assert_eq!(w.limit, Window::INITIAL / 2);
        // An attempt started after the halving, dropped too: halved again.
        w.start();
        w.opened(1_002 * MS, 1_000 * MS, 2_002 * MS);
        assert_eq!(w.limit, Window::INITIAL / 4);
        // Never below the least.
        for i in 0..10 {
            let s = (3_000 + i * 2_000) * MS;
            w.opened(s, 1_000 * MS, s + 1_000 * MS);
        }
        assert_eq!(w.limit, Window::LEAST);
    }

    #[test]
    fn a_far_server_is_not_a_queue() {
        let mut w = full();
        // 300 ms each, every time: nothing queues; the window opens.
        w.opened(0, 150 * MS, 150 * MS);
        w.connected(0, 600 * MS);
        assert_eq!(w.limit, Window::INITIAL + 1);
    }

    #[tokio::test]
    async fn the_gate_holds_attempts_past_its_width_until_one_ends() {
        let (g, mut held) = full_gate().await;
        let next = tokio::spawn(g.clone().enter());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!next.is_finished());
        assert_eq!(g.window().in_flight, Window::INITIAL);
        held.pop();
        let t = tokio::time::timeout(Duration::from_secs(5), next)
            .await
            .expect("a permit came back")
            .expect("no panic");
        assert_eq!(g.window().in_flight, Window::INITIAL);
        drop(t);
        drop(held);
        assert_eq!(g.window().in_flight, 0);
        assert_eq!(g.permits.available_permits(), Window::INITIAL as usize);
    }

    #[tokio::test]
    async fn a_closed_window_takes_permits_back_as_attempts_end() {
        let (g, held) = full_gate().await;
        // A dropped SYN halves the width; the permits in use come back only up to it.
        held[0].opened(Duration::from_secs(1));
        held[1].opened(Duration::from_micros(10));
        held[2].opened(Duration::from_secs(1));
        assert_eq!(g.window().limit, Window::INITIAL / 2);
        drop(held);
        assert_eq!(
            g.permits.available_permits(),
            (Window::INITIAL / 2) as usize
        );
    }

    #[test]
    fn one_gate_per_server() {
        let a = gate("gate.test", 1).unwrap();
        let b = gate("gate.test", 1).unwrap();
        let c = gate("gate.test", 2).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
