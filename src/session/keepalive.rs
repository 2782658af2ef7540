//! Keep alive [MQTT-3.1.2-22 ff.], on a clock the caller passes in.
//!
//! A PINGREQ goes out when the link has been quiet in either direction for one keep-alive
//! interval (so a one-way flow still gets pinged, as a half-open socket would otherwise go
//! unnoticed). Once a PINGREQ is out, the link is declared dead if nothing at all arrives
//! for half an interval more: MQTT.js's total of 1.5 intervals. With [`PingPolicy::Steady`]
//! (MQTT.js `reschedulePings: false`), traffic does not postpone pings: one goes out
//! every interval after the last PINGRESP.
//!
//! As a backstop ([`PingPolicy::Backstop`]) the application runs MQTT.js's own keepalive
//! timer and sends the pings; this side steps in only when the application is late, as it
//! is when its thread is blocked: a PINGREQ once nothing has been sent for 1.25 intervals,
//! and a timeout once a PINGREQ (the application's or ours) has had no answer, and nothing
//! else has come, for 0.75 of one. Both are later than the application's own ping (one
//! interval) and timeout (1.5 intervals), and both within the 1.5 intervals a server waits.
//! Once this side has pinged, the application is known to be late, and the next pings go
//! out every 0.75 interval until the application sends again: servers that count keep
//! alive in whole seconds (Mosquitto) can drop a keep-alive-1 client after just over one
//! second of silence, so a stretch of 1.25-interval gaps would be dropped now and then.

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

/// Who sends the pings, and what postpones them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingPolicy {
    /// Traffic either way postpones the ping [reschedulePings: true].
    Traffic,
    /// A ping every interval after the last PINGRESP [reschedulePings: false].
    Steady,
    /// The application pings; this side covers for it when it is late.
    Backstop,
}

/// Keep-alive state of one connection.
#[derive(Debug, Clone)]
pub struct Keepalive {
    interval: Option<Duration>,
    policy: PingPolicy,
    last_tx: Instant,
    last_rx: Instant,
    last_pong: Instant,
    ping_sent: Option<Instant>,
    /// The backstop sent the last ping: the application is late.
    covering: bool,
}

impl Keepalive {
    /// `seconds` 0 turns keep alive off.
    pub fn new(seconds: u16, policy: PingPolicy, now: Instant) -> Self {
        Keepalive {
            interval: (seconds > 0).then(|| Duration::from_secs(seconds as u64)),
            policy,
            last_tx: now,
            last_rx: now,
            last_pong: now,
            ping_sent: None,
            covering: false,
        }
    }

    /// Changes the interval, as a CONNACK's Server Keep Alive does [MQTT-3.2.2-21].
    pub fn set_interval(&mut self, seconds: u16, now: Instant) {
        *self = Keepalive::new(seconds, self.policy, now);
    }

    /// A packet other than this side's own PINGREQ went out.
    pub fn on_send(&mut self, now: Instant) {
        self.last_tx = now;
        self.covering = false;
    }

    /// The application sent a PINGREQ: its answer is awaited as for one of ours.
    pub fn on_ping(&mut self, now: Instant) {
        self.on_send(now);
        self.ping_sent.get_or_insert(now);
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
        Some(match (self.ping_sent, self.policy) {
            (Some(sent), PingPolicy::Backstop) => sent.max(self.last_rx) + interval * 3 / 4,
            (Some(sent), _) => sent.max(self.last_rx) + interval / 2,
            (None, PingPolicy::Traffic) => self.last_tx.min(self.last_rx) + interval,
            (None, PingPolicy::Steady) => self.last_pong + interval,
            (None, PingPolicy::Backstop) if self.covering => self.last_tx + interval * 3 / 4,
            (None, PingPolicy::Backstop) => self.last_tx + interval * 5 / 4,
        })
    }

    /// What to do at `now`. After `SendPing` the caller sends a PINGREQ, already counted
    /// as sent (it is not reported with [`Keepalive::on_send`]).
    pub fn poll(&mut self, now: Instant) -> KeepaliveAction {
        match self.deadline() {
            Some(d) if now >= d => {
                if self.ping_sent.is_some() {
                    KeepaliveAction::TimedOut
                } else {
                    self.ping_sent = Some(now);
                    self.last_tx = now;
                    self.covering = self.policy == PingPolicy::Backstop;
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
        let mut k = Keepalive::new(10, PingPolicy::Traffic, t0);
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
        let mut k = Keepalive::new(10, PingPolicy::Traffic, t0);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
        k.on_send(t0 + secs(10));
        k.on_receive(t0 + secs(11), true);
        assert_eq!(k.deadline(), Some(t0 + secs(20)));
    }

    #[test]
    fn traffic_both_ways_should_postpone_the_ping() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Traffic, t0);
        k.on_send(t0 + secs(8));
        k.on_receive(t0 + secs(9), false);
        assert_eq!(k.poll(t0 + secs(12)), KeepaliveAction::None);
        assert_eq!(k.deadline(), Some(t0 + secs(18)));
    }

    #[test]
    fn one_way_traffic_should_still_ping() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Traffic, t0);
        for s in 1..10 {
            k.on_send(t0 + secs(s));
        }
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
    }

    #[test]
    fn any_packet_after_the_ping_should_prove_the_link_alive() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Traffic, t0);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
        k.on_receive(t0 + secs(14), false);
        assert_eq!(k.poll(t0 + secs(15)), KeepaliveAction::None);
        assert_eq!(k.poll(t0 + secs(19)), KeepaliveAction::TimedOut);
    }

    #[test]
    fn without_rescheduling_pings_should_follow_the_last_pingresp() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Steady, t0);
        k.on_send(t0 + secs(9));
        k.on_receive(t0 + secs(9), false);
        assert_eq!(k.poll(t0 + secs(10)), KeepaliveAction::SendPing);
    }

    #[test]
    fn zero_should_turn_keepalive_off() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(0, PingPolicy::Traffic, t0);
        assert_eq!(k.deadline(), None);
        assert_eq!(k.poll(t0 + secs(100_000)), KeepaliveAction::None);
    }

    #[test]
    fn backstop_should_stay_behind_the_applications_pings() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Backstop, t0);
        // The application pings every interval and gets its answers: nothing to do here.
        for n in 1..=3 {
            let at = t0 + secs(10 * n);
            assert_eq!(k.poll(at), KeepaliveAction::None);
            k.on_ping(at);
            k.on_receive(at + Duration::from_millis(5), true);
        }
        assert_eq!(
            k.deadline(),
            Some(t0 + secs(30) + Duration::from_millis(12_500))
        );
    }

    #[test]
    fn backstop_should_ping_and_time_out_when_the_application_is_late() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Backstop, t0);
        // Incoming traffic does not stand for a ping: the server must hear from us.
        k.on_receive(t0 + secs(12), false);
        assert_eq!(k.poll(t0 + secs(12)), KeepaliveAction::None);
        assert_eq!(
            k.poll(t0 + Duration::from_millis(12_500)),
            KeepaliveAction::SendPing
        );
        assert_eq!(k.poll(t0 + secs(19)), KeepaliveAction::None);
        assert_eq!(k.poll(t0 + secs(20)), KeepaliveAction::TimedOut);
    }

    #[test]
    fn backstop_should_time_out_an_unanswered_ping_of_the_application() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(10, PingPolicy::Backstop, t0);
        k.on_ping(t0 + secs(10));
        assert_eq!(
            k.poll(t0 + Duration::from_millis(17_499)),
            KeepaliveAction::None
        );
        assert_eq!(
            k.poll(t0 + Duration::from_millis(17_500)),
            KeepaliveAction::TimedOut
        );
    }

    #[test]
    fn backstop_should_keep_its_pings_under_one_interval_apart_while_the_application_is_late() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut k = Keepalive::new(1, PingPolicy::Backstop, t0);
        // The application's last packet at t0; its next ping never comes.
        assert_eq!(k.poll(t0 + ms(1_249)), KeepaliveAction::None);
        assert_eq!(k.poll(t0 + ms(1_250)), KeepaliveAction::SendPing);
        k.on_receive(t0 + ms(1_251), true);
        let mut last = t0 + ms(1_250);
        for _ in 0..5 {
            let next = k.deadline().unwrap();
            assert!(next - last < secs(1), "gap {:?}", next - last);
            assert_eq!(k.poll(next), KeepaliveAction::SendPing);
            k.on_receive(next + ms(1), true);
            last = next;
        }
        // The application is back: its ping ends the cover, and the backstop steps back.
        k.on_ping(last + ms(100));
        k.on_receive(last + ms(101), true);
        assert_eq!(k.deadline(), Some(last + ms(100) + ms(1_250)));
    }
}
