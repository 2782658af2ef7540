//! Keep alive [MQTT-3.1.2-22 ff.], on a clock the caller passes in.
//!
//! A PINGREQ goes out when the link has been quiet in either direction for one keep-alive
//! interval (so a one-way flow still gets pinged, as a half-open socket would otherwise go
//! unnoticed). Once a PINGREQ is out, the link is declared dead if nothing at all arrives
//! for half an interval more: MQTT.js's total of 1.5 intervals. With `reschedule_pings`
//! off (MQTT.js `reschedulePings: false`), traffic does not postpone pings: one goes out
//! every interval after the last PINGRESP.

use std::time::{Duration, Instant};

/// What the keep-alive timer asks for when its deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveAction {
    /// Nothing yet.
    None,
    /// Send a PINGREQ now.
    SendPing,
    /// No answer in time: close the connection ("Keepalive timeout").
    TimedOut,
}

/// Keep-alive state of one connection.
#[derive(Debug, Clone)]
pub struct Keepalive {
    interval: Option<Duration>,
    reschedule: bool,
    last_tx: Instant,
    last_rx: Instant,
    last_pong: Instant,
    ping_sent: Option<Instant>,
}

impl Keepalive {
    /// `seconds` 0 turns keep alive off.
    pub fn new(seconds: u16, reschedule: bool, now: Instant) -> Self {
        Keepalive {
            interval: (seconds > 0).then(|| Duration::from_secs(seconds as u64)),
            reschedule,
            last_tx: now,
            last_rx: now,
            last_pong: now,
            ping_sent: None,
        }
    }

    /// Changes the interval, as a CONNACK's Server Keep Alive does [MQTT-3.2.2-21].
    pub fn set_interval(&mut self, seconds: u16, now: Instant) {
        *self = Keepalive::new(seconds, self.reschedule, now);
    }

    /// A packet went out.
    pub fn on_send(&mut self, now: Instant) {
        self.last_tx = now;
    }

    /// A packet came in; `pingresp` when it was a PINGRESP.
    pub fn on_receive(&mut self, now: Instant, pingresp: bool) {
        self.last_rx = now;
        if pingresp {
            self.ping_sent = None;
            self.last_pong = now;
        }
    }

    /// When [`Keepalive::poll`] next has something to do.
    pub fn deadline(&self) -> Option<Instant> {
        let interval = self.interval?;
        Some(match self.ping_sent {
            Some(sent) => sent.max(self.last_rx) + interval / 2,
            None if self.reschedule => self.last_tx.min(self.last_rx) + interval,
            None => self.last_pong + interval,
        })
    }

    /// What to do at `now`. After `SendPing` the caller sends a PINGREQ (and reports it
    /// with [`Keepalive::on_send`]).
    pub fn poll(&mut self, now: Instant) -> KeepaliveAction {
        match self.deadline() {
            Some(d) if now >= d => {
                if self.ping_sent.is_some() {
                    KeepaliveAction::TimedOut
                } else {
                    self.ping_sent = Some(now);
                    KeepaliveAction::SendPing
                }
            }
            _ => KeepaliveAction::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn quiet_link_should_ping_after_one_interval_and_time_out_half_an_interval_later() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, true, t0);
        assert_eq!(k.deadline(), Some(t0 + secs(10)));
        assert_eq!(k.poll(t0 + secs(9)), KeepaliveAction::None);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
        k.on_send(t0 + secs(10));
        assert_eq!(k.deadline(), Some(t0 + secs(15)));
        assert_eq!(k.poll(t0 + secs(15)), KeepaliveAction::TimedOut);
    }

    #[test]
    fn pingresp_should_clear_the_timeout() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, true, t0);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
        k.on_send(t0 + secs(10));
        k.on_receive(t0 + secs(11), true);
        assert_eq!(k.deadline(), Some(t0 + secs(20)));
    }

    #[test]
    fn traffic_both_ways_should_postpone_the_ping() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, true, t0);
        k.on_send(t0 + secs(8));
        k.on_receive(t0 + secs(9), false);
        assert_eq!(k.poll(t0 + secs(12)), KeepaliveAction::None);
        assert_eq!(k.deadline(), Some(t0 + secs(18)));
    }

    #[test]
    fn one_way_traffic_should_still_ping() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, true, t0);
        for s in 1..10 {
            k.on_send(t0 + secs(s));
        }
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
    }

    #[test]
    fn any_packet_after_the_ping_should_prove_the_link_alive() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, true, t0);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
        k.on_receive(t0 + secs(14), false);
        assert_eq!(k.poll(t0 + secs(15)), KeepaliveAction::None);
        assert_eq!(k.poll(t0 + secs(19)), KeepaliveAction::TimedOut);
    }

    #[test]
    fn without_rescheduling_pings_should_follow_the_last_pingresp() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, false, t0);
        k.on_send(t0 + secs(9));
        k.on_receive(t0 + secs(9), false);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
    }

    #[test]
    fn zero_should_turn_keepalive_off() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(0, true, t0);
        assert_eq!(k.deadline(), None);
        assert_eq!(k.poll(t0 + secs(100_000)), KeepaliveAction::None);
    }
}
