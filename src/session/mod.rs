//! The client's protocol state machine: packet ids, in-flight QoS 1/2 flows, the offline
//! queue, resubscription, keepalive and the CONNACK deadline. It takes decoded packets,
//! commands and `now`; it hands back packets to send ([`Session::poll_transmit`]), events
//! for the application ([`Session::poll_event`]) and its next deadline
//! ([`Session::poll_timeout`]).
//!
//! No I/O, no clock reads, no tokio, no napi: a driver owns the socket and the timer.
//!
//! Acknowledging incoming QoS 1/2 messages is the application's decision (MQTT.js's
//! `handleMessage` / `customHandleAcks`): the session reports the PUBLISH and sends the
//! PUBACK or PUBREC only when told to ([`Session::ack_incoming`]). As in MQTT.js, an
//! incoming QoS 2 message is handed over for delivery on PUBREL ([`Event::PubRel`]), and a
//! repeated PUBLISH for an id awaiting PUBREL is answered without a second delivery.

use std::collections::{HashSet, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};
use std::time::{Duration, Instant};

use crate::codec::{
    Ack, Auth, ConnAck, Connect, Disconnect, Packet, PacketType, Properties, Property,
    ProtocolVersion, Publish, QoS, SubAck, Subscribe, UnsubAck, Unsubscribe, Violation,
};

mod keepalive;
mod packet_id;
mod topic_alias;

pub use keepalive::{Keepalive, KeepaliveAction, PingPolicy};
pub use packet_id::PacketIds;
pub use topic_alias::{AliasError, TopicAliases};

/// How the session behaves; MQTT.js option names in brackets.
#[derive(Debug, Clone)]
pub struct Options {
    /// The CONNECT to send on every connection (clientId, clean, keepalive, will...). Boxed:
    /// read once per connection, it would take 224 bytes of every client's session.
    pub connect: Box<Connect>,
    /// MQTT 5 enhanced authentication: an AUTH sent right after each CONNECT [authPacket].
    pub connect_auth: Option<Auth>,
    /// Time allowed between opening the connection and CONNACK [connectTimeout].
    pub connect_timeout: Duration,
    /// Who pings and what postpones pings: traffic [reschedulePings: true], only PINGRESPs
    /// [reschedulePings: false], or the application, this side backing it up.
    pub pings: PingPolicy,
    /// Queue QoS 0 publishes while offline [queueQoSZero].
    pub queue_qos_zero: bool,
    /// Subscribe again after a reconnect when the server kept no session [resubscribe].
    pub resubscribe: bool,
    /// First packet id to hand out.
    pub first_packet_id: u16,
    /// MQTT 5: put known topic aliases in place of topics [autoUseTopicAlias].
    pub auto_use_topic_alias: bool,
    /// MQTT 5: assign topic aliases (least recently used first) [autoAssignTopicAlias].
    pub auto_assign_topic_alias: bool,
    /// After a CONNACK, hold the offline queue (and the resubscription) until
    /// [`Session::release_queue`]: an application that reports a queued message as sent
    /// from its CONNACK handling does so before the server can have it, as MQTT.js does.
    /// Until then, QoS 0 publishes, subscribes and unsubscribes join the queue.
    pub hold_queue: bool,
}

impl Options {
    /// MQTT.js's defaults around the given CONNECT.
    pub fn new(connect: Connect) -> Self {
        Options {
            connect: Box::new(connect),
            connect_auth: None,
            connect_timeout: Duration::from_secs(30),
            pings: PingPolicy::Traffic,
            queue_qos_zero: true,
            resubscribe: true,
            first_packet_id: 1,
            auto_use_topic_alias: false,
            auto_assign_topic_alias: false,
            hold_queue: false,
        }
    }
}

/// What the application hears about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server accepted the connection.
    Connected(ConnAck),
    /// The server refused the connection; the connection should be closed.
    Refused(ConnAck),
    /// An incoming PUBLISH. QoS 1 and 2 wait for [`Session::ack_incoming`].
    Publish(Publish),
    /// The server released an incoming QoS 2 message: deliver it, then call
    /// [`Session::complete_incoming`].
    PubRel(Ack),
    /// An outgoing QoS 1 or 2 flow ended: PUBACK, PUBCOMP, or a PUBREC with a failure
    /// reason (level 5).
    Published {
        /// Packet id of the PUBLISH.
        packet_id: u16,
        /// The acknowledgement that ended it.
        ack: Ack,
        /// PUBACK, PUBREC or PUBCOMP.
        kind: PacketType,
    },
    /// An outgoing QoS 2 flow got its PUBREC and moved on to PUBREL (MQTT.js then
    /// stores the PUBREL in place of the PUBLISH). Carries the PUBREC.
    Released(Ack),
    /// Answer to a SUBSCRIBE.
    SubAck(SubAck),
    /// Answer to an UNSUBSCRIBE.
    UnsubAck(UnsubAck),
    /// A PINGRESP, when the application pings ([`PingPolicy::Backstop`]).
    PingResp,
    /// The server sent DISCONNECT (level 5).
    Disconnect(Disconnect),
    /// The server sent AUTH (level 5).
    Auth(Auth),
}

/// Why the session wants the connection closed, or refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No PINGRESP (or anything else) in time.
    #[error("Keepalive timeout")]
    KeepaliveTimeout,
    /// No CONNACK in time.
    #[error("connack timeout")]
    ConnectTimeout,
    /// The server broke the protocol.
    #[error(transparent)]
    Protocol(#[from] Violation),
    /// All 65,535 packet ids are in use.
    #[error("no free packet identifier: 65535 messages are in flight")]
    NoPacketId,
    /// The packet id given by the caller is already in use.
    #[error("packet identifier {0} is already in use")]
    PacketIdInUse(u16),
    /// Only QoS 1/2 PUBLISH and PUBREL flows can be restored from a store.
    #[error("only QoS 1 or 2 PUBLISH and PUBREL packets can be restored")]
    NotRestorable,
    /// An outgoing topic alias that cannot be used (MQTT 5).
    #[error(transparent)]
    TopicAlias(#[from] AliasError),
    /// A QoS 0 publish while offline with queueing off, or a command after end.
    #[error("client disconnected")]
    NotConnected,
    /// The PUBLISH is larger than the server's Maximum Packet Size (MQTT 5 CONNACK).
    #[error("Packet too large: {size} bytes, the server's maximumPacketSize is {max}")]
    PacketTooLarge {
        /// Encoded size of the packet.
        size: usize,
        /// The server's limit.
        max: u32,
    },
    /// The server refused the connection (CONNACK return or reason code); the event
    /// [`Event::Refused`] carries the packet.
    #[error("connection refused with code {0}")]
    Refused(u8),
    /// The server broke a rule that MQTT.js 5.16 checks too and reports with the rule's
    /// reason code (`ErrorWithReasonCode`): topic aliases (148, 130 for an unregistered
    /// one), Receive Maximum (147), a second CONNACK (130). The message is MQTT.js's.
    #[error("{}", .0.message)]
    Reported(Violation),
    /// An ack answering another kind of flow than the one pending on its id; MQTT.js 5.16
    /// reports it with its own message and no code.
    #[error("{}", .0.message)]
    UnexpectedAck(Violation),
}

impl SessionError {
    /// The stable code programs test (`err.code` in JS), for refused commands and for the
    /// connection failures alike.
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::KeepaliveTimeout => "ERR_KEEPALIVE_TIMEOUT",
            SessionError::ConnectTimeout => "ERR_CONNACK_TIMEOUT",
            SessionError::Refused(_) => "ERR_MQTT_REFUSED",
            SessionError::NoPacketId | SessionError::PacketIdInUse(_) => "ERR_MQTT_PACKET_ID",
            SessionError::NotConnected => "ERR_MQTT_CLIENT_DISCONNECTED",
            SessionError::NotRestorable => "ERR_INVALID_ARG_VALUE",
            SessionError::TopicAlias(_) => "ERR_MQTT_TOPIC_ALIAS",
            SessionError::PacketTooLarge { .. } => "ERR_MQTT_PACKET_TOO_LARGE",
            SessionError::UnexpectedAck(_) => "ERR_MQTT_UNEXPECTED_ACK",
            SessionError::Protocol(_) | SessionError::Reported(_) => "ERR_MQTT_PROTOCOL",
        }
    }

    /// The MQTT reason code MQTT.js puts in `err.code` for this error, where it does.
    pub fn reported_reason(&self) -> Option<u8> {
        match self {
            SessionError::Reported(v) => Some(v.reason_code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Disconnected,
    Connecting { deadline: Instant },
    Connected,
    Ended,
}

/// Below MQTT 5, the QoS 1/2 PUBLISH flows in flight while the ones left from before a
/// reconnect are resent: one, as MQTT.js (it sends its stored messages one after another,
/// each on the previous one's ack). A 3.1.1 server has no Receive Maximum to say what it
/// takes, and one that takes fewer answers the rest with an error a 3.1.1 PUBACK or PUBREC
/// cannot carry: the messages would be acknowledged and lost.
const RESEND_WINDOW_V4: usize = 1;

/// Below MQTT 5, the QoS 2 PUBLISHes in flight without their PUBREC at any time. Brokers
/// keep a place for each QoS 2 message until its PUBREL and refuse what comes past their
/// limit, QoS 1 included (Mosquitto: `max_inflight_messages`, 20 by default; a 21st
/// PUBLISH gets "quota exceeded", which reaches a 3.1.1 client as a plain PUBACK or
/// PUBREC). Our PUBREL goes out as its PUBREC comes, so the broker reads it before any
/// later PUBLISH: with at most 19 PUBRECs outstanding, each PUBLISH the broker reads finds
/// at most 19 places taken. QoS 1 flows take no place past their PUBACK and are not
/// limited (MQTT.js limits neither and loses messages in bursts of QoS 2 there).
const QOS2_WINDOW_V4: usize = 19;

/// An unfinished outgoing flow.
#[derive(Debug, Clone)]
enum Outgoing {
    /// PUBLISH sent (or waiting to be), waiting for PUBACK or PUBREC.
    Publish { packet: Publish, sent: bool },
    /// PUBREL sent, waiting for PUBCOMP.
    PubRel(Ack),
    /// SUBSCRIBE waiting for SUBACK.
    Subscribe { packet: Subscribe, sent: bool },
    /// UNSUBSCRIBE waiting for UNSUBACK.
    Unsubscribe { packet: Unsubscribe, sent: bool },
}

/// What waits for room in flight, in call order.
#[derive(Debug)]
enum Held {
    /// A QoS 1/2 PUBLISH flow.
    Flow(u16),
    /// A QoS 0 PUBLISH made after flows that wait: it keeps its place behind them, as
    /// MQTT.js holds every publish while it resends.
    Publish(Publish),
}

/// An entry of the offline queue.
#[derive(Debug)]
enum Queued {
    Publish(Publish),
    /// A subscribe or unsubscribe flow not sent yet.
    Flow(u16),
}

/// The client side of one MQTT session, across connections.
#[derive(Debug)]
pub struct Session {
    opts: Options,
    version: ProtocolVersion,
    state: State,
    ids: PacketIds,
    /// In-flight flows in the order they started; resent in this order [MQTT-4.6.0-1].
    order: VecDeque<u16>,
    outgoing: FxHashMap<u16, Outgoing>,
    /// Incoming QoS 2 ids whose PUBREC was sent and whose PUBREL has not come.
    incoming_qos2: FxHashSet<u16>,
    /// Incoming QoS 2 ids delivered to the application and not acknowledged yet.
    incoming_qos2_pending: FxHashSet<u16>,
    /// What waits for a connection besides the stored flows, in call order, as MQTT.js's
    /// offline queue: QoS 0 publishes, and subscribes and unsubscribes (by packet id).
    offline: VecDeque<Queued>,
    /// Filters to subscribe again after a reconnect without a session.
    /// What to subscribe to again, each with the properties of the SUBSCRIBE that made it
    /// (MQTT 5: subscription identifier, user properties).
    subscriptions: Vec<(crate::codec::Subscription, Properties)>,
    keepalive: Keepalive,
    transmit: VecDeque<Packet>,
    events: VecDeque<Event>,
    connected_before: bool,
    /// The offline queue waits for [`Session::release_queue`] ([`Options::hold_queue`]).
    queue_held: bool,
    /// The resubscription waits with it.
    resubscribe_pending: bool,
    /// The server's Maximum Packet Size from its last CONNACK (MQTT 5); None: no limit.
    server_max_packet: Option<u32>,
    /// The server's Receive Maximum from its last CONNACK (MQTT 5; 65,535 otherwise): how
    /// many QoS 1/2 PUBLISH flows may be unacknowledged at once [MQTT-3.3.4-7].
    send_quota: u16,
    /// QoS 1/2 flows written on this connection and not completed (they use the quota).
    in_quota: FxHashSet<u16>,
    /// How many of `in_quota` are QoS 2 PUBLISHes whose PUBREC has not come: each holds
    /// a place at the broker until it reads our PUBREL, which goes out as the PUBREC comes,
    /// ahead of any PUBLISH sent after.
    awaiting_pubrec: usize,
    /// QoS 1/2 PUBLISH flows waiting for room in the quota, in order.
    held: VecDeque<Held>,
    /// Flows restored from the application's store; they stay ahead of newer flows.
    restored: usize,
    /// The PUBLISH flows left unfinished from before this connection's CONNACK, while any
    /// is: until they are done, at most [`Session::window`] PUBLISH flows are in flight and
    /// newer ones wait behind them, as MQTT.js holds new publishes while it resends.
    resend: FxHashSet<u16>,
    aliases: TopicAliases,
}

impl Session {
    /// A session that has not connected yet.
    pub fn new(opts: Options, now: Instant) -> Self {
        let version = opts.connect.level;
        let ids = PacketIds::new(opts.first_packet_id);
        let keepalive = Keepalive::new(opts.connect.keep_alive, opts.pings, now);
        let alias_max = opts.connect.properties.iter().find_map(|p| match p {
            Property::TopicAliasMaximum(m) => Some(*m),
            _ => None,
        });
        let aliases = TopicAliases::new(
            alias_max.unwrap_or(0),
            opts.auto_use_topic_alias,
            opts.auto_assign_topic_alias,
        );
        Session {
            opts,
            version,
            state: State::Disconnected,
            ids,
            order: VecDeque::new(),
            outgoing: FxHashMap::default(),
            incoming_qos2: FxHashSet::default(),
            incoming_qos2_pending: FxHashSet::default(),
            offline: VecDeque::new(),
            subscriptions: Vec::new(),
            keepalive,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            connected_before: false,
            queue_held: false,
            resubscribe_pending: false,
            server_max_packet: None,
            send_quota: u16::MAX,
            in_quota: FxHashSet::default(),
            awaiting_pubrec: 0,
            held: VecDeque::new(),
            restored: 0,
            resend: FxHashSet::default(),
            aliases,
        }
    }

    /// The protocol level in use.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// True between a successful CONNACK and the loss of the connection.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// True after [`Session::disconnect`].
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// Unfinished outgoing flows (publishes, PUBRELs, subscribes, unsubscribes).
    pub fn in_flight(&self) -> usize {
        self.order.len()
    }

    /// QoS 0 publishes waiting for a connection.
    pub fn queued(&self) -> usize {
        self.offline
            .iter()
            .filter(|q| matches!(q, Queued::Publish(_)))
            .count()
    }

    /// The packet id most recently handed out.
    pub fn last_packet_id(&self) -> u16 {
        self.ids.last()
    }

    /// The CONNECT for the next connections (MQTT.js reads its options again at every
    /// reconnect: a rotated password, a new will). The protocol level stays the session's.
    pub fn set_connect(&mut self, mut connect: Connect, auth: Option<Auth>) {
        connect.level = self.version;
        *self.opts.connect = connect;
        self.opts.connect_auth = auth;
    }

    /// The transport is up: send CONNECT and start the CONNACK deadline.
    pub fn handle_connected(&mut self, now: Instant) {
        if self.state == State::Ended {
            return;
        }
        self.transmit.clear();
        self.aliases.reset(0);
        self.keepalive = Keepalive::new(self.opts.connect.keep_alive, self.opts.pings, now);
        self.state = State::Connecting {
            deadline: now + self.opts.connect_timeout,
        };
        self.send(Packet::Connect(self.opts.connect.clone()), now);
        if let Some(a) = &self.opts.connect_auth {
            self.send(Packet::Auth(a.clone()), now);
        }
    }

    /// The transport closed or failed. In-flight flows are kept for the next connection;
    /// unsent packets are dropped (they are rebuilt from the flows on reconnect).
    pub fn handle_connection_lost(&mut self) {
        self.transmit.clear();
        self.queue_held = false;
        // Unacknowledged incoming QoS 2 messages are sent again by the server.
        self.incoming_qos2_pending.clear();
        self.in_quota.clear();
        self.awaiting_pubrec = 0;
        // QoS 0 publishes that waited go first in the offline queue; the flows are
        // rebuilt from `order` at the next CONNACK.
        let waiting: Vec<Queued> = self
            .held
            .drain(..)
            .filter_map(|h| match h {
                Held::Publish(p) => Some(Queued::Publish(p)),
                Held::Flow(_) => None,
            })
            .collect();
        for q in waiting.into_iter().rev() {
            self.offline.push_front(q);
        }
        self.resend.clear();
        if self.state != State::Ended {
            self.state = State::Disconnected;
        }
        for o in self.outgoing.values_mut() {
            match o {
                Outgoing::Subscribe { sent, .. } | Outgoing::Unsubscribe { sent, .. } => {
                    *sent = false
                }
                Outgoing::Publish { .. } | Outgoing::PubRel(_) => {}
            }
        }
    }

    /// The driver has stopped reading while the application catches up, with the server's
    /// data waiting unread: the server is alive, and an answer to a ping may be in that
    /// backlog, so keepalive must not time out on it.
    pub fn handle_backlog(&mut self, now: Instant) {
        self.keepalive.on_receive(now, true);
    }

    /// The next packet to write, if any.
    pub fn poll_transmit(&mut self) -> Option<Packet> {
        self.transmit.pop_front()
    }

    /// The next event for the application, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Lets go of the packet and event queues' memory while they are empty: after a
    /// flush that moved one item or none, the connection is quiet, and thousands of idle
    /// clients would otherwise each keep room for four of each.
    pub fn release_queues(&mut self) {
        if self.transmit.is_empty() && self.transmit.capacity() > 0 {
            self.transmit = VecDeque::new();
        }
        if self.events.is_empty() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
    }

    /// When [`Session::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Connecting { deadline } => Some(deadline),
            State::Connected => self.keepalive.deadline(),
            State::Disconnected | State::Ended => None,
        }
    }

    /// Runs the timers due at `now`. An error means: close the connection.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        match self.state {
            State::Connecting { deadline } if now >= deadline => Err(SessionError::ConnectTimeout),
            State::Connected => match self.keepalive.poll(now) {
                KeepaliveAction::None => Ok(()),
                KeepaliveAction::SendPing => {
                    // Counted as sent by the keep-alive timer itself.
                    self.transmit.push_back(Packet::PingReq);
                    Ok(())
                }
                KeepaliveAction::TimedOut => Err(SessionError::KeepaliveTimeout),
            },
            _ => Ok(()),
        }
    }

    /// Sends a PINGREQ for the application (MQTT.js `sendPing`); nothing when not connected.
    pub fn ping(&mut self, now: Instant) {
        if self.state == State::Connected {
            self.transmit.push_back(Packet::PingReq);
            self.keepalive.on_ping(now);
        }
    }

    fn send(&mut self, p: Packet, now: Instant) {
        // After DISCONNECT nothing more goes out [MQTT-3.14.4-1]: an acknowledgement the
        // application makes after ending is dropped.
        if self.state == State::Ended {
            return;
        }
        self.keepalive.on_send(now);
        self.transmit.push_back(p);
    }

    fn take_id(&mut self, given: u16) -> Result<u16, SessionError> {
        if given == 0 {
            self.ids.allocate().ok_or(SessionError::NoPacketId)
        } else if self.ids.register(given) {
            Ok(given)
        } else {
            Err(SessionError::PacketIdInUse(given))
        }
    }

    fn start_flow(&mut self, id: u16, flow: Outgoing) {
        self.order.push_back(id);
        self.outgoing.insert(id, flow);
    }

    fn end_flow(&mut self, id: u16) -> Option<Outgoing> {
        let flow = self.outgoing.remove(&id)?;
        let qos2 =
            matches!(&flow, Outgoing::Publish { packet, .. } if packet.qos == QoS::ExactlyOnce);
        if self.in_quota.remove(&id) && qos2 {
            self.awaiting_pubrec -= 1;
        }
        self.resend.remove(&id);
        if let Some(pos) = self.order.iter().position(|&x| x == id) {
            self.order.remove(pos);
            if pos < self.restored {
                self.restored -= 1;
            }
        }
        self.ids.release(id);
        Some(flow)
    }

    /// Publishes. QoS 1/2: a packet id is allocated when `packet_id` is 0, and the flow is
    /// kept until acknowledged, across reconnects. Offline, the packet waits for the next
    /// connection (QoS 0 only with `queue_qos_zero`). Returns the packet id (0 for QoS 0).
    pub fn publish(&mut self, mut p: Publish, now: Instant) -> Result<u16, SessionError> {
        if self.state == State::Ended {
            return Err(SessionError::NotConnected);
        }
        let connected = self.state == State::Connected;
        // MQTT 5 aliases: `p` keeps the full topic (for storing), `wire` is what to write.
        let wire = if self.version.is_v5() {
            self.aliases.outgoing(&mut p)?
        } else {
            None
        };
        if let Some(max) = self.server_max_packet {
            // [MQTT-3.1.2-24]: never send the server a packet larger than it accepts; the
            // caller learns it now rather than from a disconnect. A QoS 1/2 packet id is
            // two bytes more than the form checked here when it has none yet.
            let size = Packet::Publish(wire.clone().unwrap_or_else(|| p.clone()))
                .encoded_len(self.version)
                + if p.qos != QoS::AtMostOnce && p.packet_id == 0 {
                    2
                } else {
                    0
                };
            if size > max as usize {
                return Err(SessionError::PacketTooLarge { size, max });
            }
        }
        if p.qos == QoS::AtMostOnce {
            p.packet_id = 0;
            if self.sending() {
                let w = wire.unwrap_or(p);
                if self.held.is_empty() {
                    self.send(Packet::Publish(w), now);
                } else {
                    self.held.push_back(Held::Publish(w));
                }
            } else if self.opts.queue_qos_zero || connected {
                self.offline.push_back(Queued::Publish(p));
            } else {
                return Err(SessionError::NotConnected);
            }
            return Ok(0);
        }
        let id = self.take_id(p.packet_id)?;
        p.packet_id = id;
        // Past the server's Receive Maximum (or the resend window) the PUBLISH waits for an
        // ack to free room, behind those already waiting. One that sets up a topic alias
        // goes now: later packets may rely on that alias.
        let room = self.has_room(p.qos) || wire.is_some();
        let send_now = connected && room;
        if send_now {
            let mut w = wire.unwrap_or_else(|| p.clone());
            w.packet_id = id;
            self.send(Packet::Publish(w), now);
            self.take_quota(id, p.qos);
        } else if connected {
            self.held.push_back(Held::Flow(id));
        }
        self.start_flow(
            id,
            Outgoing::Publish {
                packet: p,
                sent: send_now,
            },
        );
        Ok(id)
    }

    /// Subscribes; the filters are remembered for resubscription. Returns the packet id.
    pub fn subscribe(&mut self, mut s: Subscribe, now: Instant) -> Result<u16, SessionError> {
        if self.state == State::Ended {
            return Err(SessionError::NotConnected);
        }
        let id = self.take_id(s.packet_id)?;
        s.packet_id = id;
        for f in &s.filters {
            self.subscriptions.retain(|x| x.0.filter != f.filter);
            self.subscriptions.push((f.clone(), s.properties.clone()));
        }
        let connected = self.sending();
        if connected {
            self.send(Packet::Subscribe(s.clone()), now);
        } else {
            self.offline.push_back(Queued::Flow(id));
        }
        self.start_flow(
            id,
            Outgoing::Subscribe {
                packet: s,
                sent: connected,
            },
        );
        Ok(id)
    }

    /// Unsubscribes; the filters are forgotten for resubscription. Returns the packet id.
    pub fn unsubscribe(&mut self, mut u: Unsubscribe, now: Instant) -> Result<u16, SessionError> {
        if self.state == State::Ended {
            return Err(SessionError::NotConnected);
        }
        let id = self.take_id(u.packet_id)?;
        u.packet_id = id;
        self.subscriptions
            .retain(|x| !u.filters.contains(&x.0.filter));
        let connected = self.sending();
        if connected {
            self.send(Packet::Unsubscribe(u.clone()), now);
        } else {
            self.offline.push_back(Queued::Flow(id));
        }
        self.start_flow(
            id,
            Outgoing::Unsubscribe {
                packet: u,
                sent: connected,
            },
        );
        Ok(id)
    }

    /// Takes back a flow that the application's store kept from an earlier session (MQTT.js
    /// resends what its `outgoingStore` holds at connect): a QoS 1/2 PUBLISH (resent with
    /// DUP) or a PUBREL. Restored flows are resent before flows started in this session,
    /// at once if connected. Returns false, changing nothing, when the id is in use.
    pub fn restore(&mut self, p: Packet, now: Instant) -> Result<bool, SessionError> {
        if self.state == State::Ended {
            return Err(SessionError::NotConnected);
        }
        let (id, flow) = match p {
            Packet::Publish(mut p) if p.qos != QoS::AtMostOnce => {
                p.dup = true;
                (
                    p.packet_id,
                    Outgoing::Publish {
                        packet: p,
                        sent: true,
                    },
                )
            }
            Packet::PubRel(a) => (a.packet_id, Outgoing::PubRel(a)),
            _ => return Err(SessionError::NotRestorable),
        };
        if id == 0 || !self.ids.register(id) {
            return Ok(false);
        }
        if self.state == State::Connected {
            match &flow {
                Outgoing::Publish { packet, .. } if !self.has_room(packet.qos) => {
                    self.held.push_back(Held::Flow(id))
                }
                Outgoing::Publish { packet, .. } => {
                    let qos = packet.qos;
                    self.send(Packet::Publish(packet.clone()), now);
                    self.take_quota(id, qos);
                }
                // A PUBREL takes no quota: its PUBLISH was counted on an earlier connection.
                Outgoing::PubRel(a) => self.send(Packet::PubRel(a.clone()), now),
                _ => return Err(SessionError::NotRestorable),
            }
            self.start_flow(id, flow);
        } else {
            let at = self.restored.min(self.order.len());
            self.order.insert(at, id);
            self.outgoing.insert(id, flow);
            self.restored += 1;
        }
        Ok(true)
    }

    /// Drops an outgoing flow without waiting for its acknowledgement (MQTT.js
    /// `removeOutgoingMessage`). Returns false if `id` is not in flight.
    pub fn remove_outgoing(&mut self, id: u16, now: Instant) -> bool {
        self.held
            .retain(|h| !matches!(h, Held::Flow(x) if *x == id));
        let removed = self.end_flow(id).is_some();
        self.release_held(now);
        removed
    }

    /// The application handled incoming PUBLISH `id` of `qos`: send PUBACK (QoS 1) or
    /// PUBREC (QoS 2) with `reason_code` (level 5; 0 is success).
    pub fn ack_incoming(&mut self, id: u16, qos: QoS, reason_code: u8, now: Instant) {
        let ack = Ack {
            packet_id: id,
            reason_code,
            ..Ack::new(id)
        };
        match qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => self.send(Packet::PubAck(ack), now),
            QoS::ExactlyOnce => {
                self.incoming_qos2_pending.remove(&id);
                if reason_code < 0x80 {
                    self.incoming_qos2.insert(id);
                }
                self.send(Packet::PubRec(ack), now)
            }
        }
    }

    /// The application delivered incoming QoS 2 message `id` after its PUBREL: send PUBCOMP.
    pub fn complete_incoming(&mut self, id: u16, now: Instant) {
        self.incoming_qos2.remove(&id);
        self.send(Packet::PubComp(Ack::new(id)), now);
    }

    /// Sends DISCONNECT and ends the session: no reconnect, no more commands.
    pub fn disconnect(&mut self, d: Disconnect, now: Instant) {
        if self.state == State::Connected {
            self.send(Packet::Disconnect(d), now);
        }
        self.state = State::Ended;
    }

    /// Sends AUTH (level 5 enhanced authentication).
    pub fn auth(&mut self, a: Auth, now: Instant) {
        self.send(Packet::Auth(a), now);
    }

    /// Whether one more QoS 1/2 PUBLISH of `qos` fits in flight: within the server's
    /// Receive Maximum (MQTT 5); below MQTT 5, within [`RESEND_WINDOW_V4`] while flows from
    /// before this connection are resent, and for QoS 2 within [`QOS2_WINDOW_V4`].
    fn fits(&self, qos: QoS) -> bool {
        if self.version.is_v5() {
            self.in_quota.len() < self.send_quota as usize
        } else if !self.resend.is_empty() {
            self.in_quota.len() < RESEND_WINDOW_V4
        } else {
            qos != QoS::ExactlyOnce || self.awaiting_pubrec < QOS2_WINDOW_V4
        }
    }

    /// A new QoS 1/2 PUBLISH may go now: it fits and none waits before it (call order).
    fn has_room(&self, qos: QoS) -> bool {
        self.held.is_empty() && self.fits(qos)
    }

    /// Counts flow `id`, just sent as a PUBLISH of `qos`, as in flight.
    fn take_quota(&mut self, id: u16, qos: QoS) {
        if self.in_quota.insert(id) && qos == QoS::ExactlyOnce {
            self.awaiting_pubrec += 1;
        }
    }

    /// Sends the held PUBLISH flows that fit now, in order.
    fn release_held(&mut self, now: Instant) {
        if self.state != State::Connected {
            return;
        }
        while let Some(front) = self.held.front() {
            let id = match front {
                Held::Flow(id) => *id,
                Held::Publish(_) => {
                    if let Some(Held::Publish(p)) = self.held.pop_front() {
                        self.send(Packet::Publish(p), now);
                    }
                    continue;
                }
            };
            let qos = match self.outgoing.get(&id) {
                Some(Outgoing::Publish { packet, .. }) => packet.qos,
                // Removed or acknowledged meanwhile.
                _ => {
                    self.held.pop_front();
                    continue;
                }
            };
            if !self.fits(qos) {
                return;
            }
            self.held.pop_front();
            if let Some(Outgoing::Publish { packet, sent }) = self.outgoing.get_mut(&id) {
                let mut p = packet.clone();
                p.dup = *sent;
                *sent = true;
                self.send(Packet::Publish(p), now);
                self.take_quota(id, qos);
            }
        }
    }

    /// Handles one decoded packet from the server. An error means: close the connection.
    pub fn handle_packet(&mut self, p: Packet, now: Instant) -> Result<(), SessionError> {
        let r = self.handle_packet_inner(p, now);
        if !self.held.is_empty() {
            self.release_held(now);
        }
        r
    }

    fn handle_packet_inner(&mut self, p: Packet, now: Instant) -> Result<(), SessionError> {
        self.keepalive.on_receive(now, p == Packet::PingResp);
        if let State::Connecting { .. } = self.state {
            return match p {
                Packet::ConnAck(c) => self.on_connack(c, now),
                Packet::Auth(a) => {
                    self.events.push_back(Event::Auth(a));
                    Ok(())
                }
                Packet::Disconnect(d) => {
                    self.events.push_back(Event::Disconnect(d));
                    Ok(())
                }
                other => Err(Violation::protocol(
                    "MQTT-3.2.0-1",
                    format!("{} before CONNACK", other.packet_type().name()),
                )
                .into()),
            };
        }
        match p {
            Packet::Publish(p) => self.on_publish(p, now)?,
            Packet::PubAck(a) => {
                self.check_ack_kind(PacketType::PubAck, a.packet_id)?;
                self.on_puback(a)
            }
            Packet::PubRec(a) => {
                self.check_ack_kind(PacketType::PubRec, a.packet_id)?;
                self.on_pubrec(a, now)
            }
            Packet::PubComp(a) => {
                self.check_ack_kind(PacketType::PubComp, a.packet_id)?;
                self.on_pubcomp(a)
            }
            Packet::PubRel(a) => {
                if self.incoming_qos2.contains(&a.packet_id) {
                    self.events.push_back(Event::PubRel(a));
                } else {
                    // Already completed (a resent PUBREL) or never seen: answer so the
                    // server can finish its flow [MQTT-4.3.3-11].
                    self.send(Packet::PubComp(Ack::new(a.packet_id)), now);
                }
            }
            Packet::SubAck(s) => {
                self.check_ack_kind(PacketType::SubAck, s.packet_id)?;
                if let Some(Outgoing::Subscribe { .. }) = self.outgoing.get(&s.packet_id) {
                    self.end_flow(s.packet_id);
                    self.events.push_back(Event::SubAck(s));
                }
            }
            Packet::UnsubAck(u) => {
                self.check_ack_kind(PacketType::UnsubAck, u.packet_id)?;
                if let Some(Outgoing::Unsubscribe { .. }) = self.outgoing.get(&u.packet_id) {
                    self.end_flow(u.packet_id);
                    self.events.push_back(Event::UnsubAck(u));
                }
            }
            Packet::PingResp => {
                if self.opts.pings == PingPolicy::Backstop {
                    self.events.push_back(Event::PingResp);
                }
            }
            Packet::Disconnect(d) => self.events.push_back(Event::Disconnect(d)),
            Packet::Auth(a) => self.events.push_back(Event::Auth(a)),
            Packet::ConnAck(_) => {
                return Err(SessionError::Reported(Violation::protocol(
                    "MQTT-3.2.0-2",
                    "Protocol error: duplicate CONNACK on the same network connection",
                )))
            }
            other => {
                return Err(Violation::protocol(
                    "MQTT-3.1.0",
                    format!("a server must not send {}", other.packet_type().name()),
                )
                .into())
            }
        }
        Ok(())
    }

    fn on_connack(&mut self, c: ConnAck, now: Instant) -> Result<(), SessionError> {
        if c.code != 0 {
            self.state = State::Disconnected;
            let code = c.code;
            self.events.push_back(Event::Refused(c));
            return Err(SessionError::Refused(code));
        }
        self.state = State::Connected;
        let server_keep_alive = c.properties.iter().find_map(|p| match p {
            Property::ServerKeepAlive(s) => Some(*s),
            _ => None,
        });
        if let Some(s) = server_keep_alive {
            self.keepalive.set_interval(s, now);
        }
        self.server_max_packet = c.properties.iter().find_map(|p| match p {
            Property::MaximumPacketSize(m) => Some(*m),
            _ => None,
        });
        self.send_quota = c
            .properties
            .iter()
            .find_map(|p| match p {
                Property::ReceiveMaximum(m) => Some(*m),
                _ => None,
            })
            .unwrap_or(u16::MAX)
            .max(1);
        self.in_quota.clear();
        self.awaiting_pubrec = 0;
        self.held.clear();
        let alias_max = c.properties.iter().find_map(|p| match p {
            Property::TopicAliasMaximum(m) => Some(*m),
            _ => None,
        });
        self.aliases.reset(alias_max.unwrap_or(0));
        // MQTT.js's rule: MQTT 3.1 has no session-present flag to go by.
        let no_session = self.opts.connect.clean_start
            || (self.version >= ProtocolVersion::V4 && !c.session_present);
        let resubscribe = self.connected_before
            && self.opts.resubscribe
            && no_session
            && !self.subscriptions.is_empty();
        self.connected_before = true;
        self.events.push_back(Event::Connected(c));
        // The unfinished flows: first every PUBREL, in order [MQTT-4.6.0-4], since each
        // frees a place the server keeps for a QoS 2 message (and takes none of the send
        // quota, which starts afresh with each connection); then the PUBLISHes in their
        // original order [MQTT-4.6.0-1], as many as the window takes, the rest held until
        // acks free room. Then what was queued offline (QoS 0 publishes, subscribes,
        // unsubscribes), then the resubscription, as MQTT.js.
        let order: Vec<u16> = self.order.iter().copied().collect();
        for &id in &order {
            if let Some(Outgoing::PubRel(a)) = self.outgoing.get(&id) {
                let rel = Packet::PubRel(a.clone());
                self.send(rel, now);
            }
        }
        self.resend = order
            .iter()
            .copied()
            .filter(|id| matches!(self.outgoing.get(id), Some(Outgoing::Publish { .. })))
            .collect();
        for id in order {
            let qos = match self.outgoing.get(&id) {
                Some(Outgoing::Publish { packet, .. }) => packet.qos,
                // Subscribes and unsubscribes made offline go with the offline queue.
                _ => continue,
            };
            if !self.has_room(qos) {
                self.held.push_back(Held::Flow(id));
                continue;
            }
            if let Some(Outgoing::Publish { packet, sent }) = self.outgoing.get_mut(&id) {
                let mut p = packet.clone();
                p.dup = *sent;
                *sent = true;
                self.send(Packet::Publish(p), now);
                self.take_quota(id, qos);
            }
        }
        if self.opts.hold_queue {
            // The application sends them once it has handled the CONNACK (release_queue).
            self.queue_held = true;
            self.resubscribe_pending = resubscribe;
            return Ok(());
        }
        self.send_offline(resubscribe, now);
        Ok(())
    }

    /// What waits behind a CONNACK: the offline queue, then the resubscription.
    fn send_offline(&mut self, resubscribe: bool, now: Instant) {
        while let Some(q) = self.offline.pop_front() {
            let packet = match q {
                // Behind flows that wait for room: in call order, after them.
                Queued::Publish(p) if !self.held.is_empty() => {
                    self.held.push_back(Held::Publish(p));
                    continue;
                }
                Queued::Publish(p) => Packet::Publish(p),
                Queued::Flow(id) => match self.outgoing.get_mut(&id) {
                    Some(Outgoing::Subscribe { packet, sent }) if !*sent => {
                        *sent = true;
                        Packet::Subscribe(packet.clone())
                    }
                    Some(Outgoing::Unsubscribe { packet, sent }) if !*sent => {
                        *sent = true;
                        Packet::Unsubscribe(packet.clone())
                    }
                    _ => continue,
                },
            };
            self.send(packet, now);
        }
        if resubscribe {
            self.resubscribe(now);
        }
    }

    /// With [`Options::hold_queue`]: sends the offline queue and the resubscription that
    /// wait behind the CONNACK, as MQTT.js's first `connect` listener sends its queue.
    pub fn release_queue(&mut self, now: Instant) {
        if self.state == State::Connected && self.queue_held {
            self.queue_held = false;
            let resubscribe = std::mem::take(&mut self.resubscribe_pending);
            self.send_offline(resubscribe, now);
        }
    }

    /// Connected, and the offline queue no longer held: new packets go out at once.
    fn sending(&self) -> bool {
        self.state == State::Connected && !self.queue_held
    }

    fn resubscribe(&mut self, now: Instant) {
        // Subscriptions still waiting for their SUBACK are resent with their flow.
        let pending: HashSet<_> = self
            .outgoing
            .values()
            .filter_map(|o| match o {
                Outgoing::Subscribe { packet, .. } => Some(packet.filters.iter()),
                _ => None,
            })
            .flatten()
            .map(|s| s.filter.clone())
            .collect();
        let subs: Vec<_> = self
            .subscriptions
            .iter()
            .filter(|s| !pending.contains(&s.0.filter))
            .cloned()
            .collect();
        // As MQTT.js: at level 5 one SUBSCRIBE per filter, with the properties it was made
        // with (subscription identifier, user properties); below it, one for all.
        let packets: Vec<(Vec<_>, Properties)> = if self.version.is_v5() {
            subs.into_iter().map(|(f, p)| (vec![f], p)).collect()
        } else if subs.is_empty() {
            Vec::new()
        } else {
            vec![(
                subs.into_iter().map(|(f, _)| f).collect(),
                Properties::new(),
            )]
        };
        for (filters, properties) in packets {
            let Some(id) = self.ids.allocate() else {
                return;
            };
            let s = Subscribe {
                packet_id: id,
                properties,
                filters,
            };
            self.send(Packet::Subscribe(s.clone()), now);
            self.start_flow(
                id,
                Outgoing::Subscribe {
                    packet: s,
                    sent: true,
                },
            );
        }
    }

    fn on_publish(&mut self, mut p: Publish, now: Instant) -> Result<(), SessionError> {
        if self.version.is_v5() {
            self.aliases
                .incoming(&mut p)
                .map_err(SessionError::Reported)?;
        }
        if p.qos == QoS::ExactlyOnce && self.incoming_qos2.contains(&p.packet_id) {
            // A resend of a message already received: acknowledge, do not deliver again.
            self.send(Packet::PubRec(Ack::new(p.packet_id)), now);
            return Ok(());
        }
        if p.qos == QoS::ExactlyOnce && !self.incoming_qos2_pending.contains(&p.packet_id) {
            // The Receive Maximum we advertised bounds the QoS 2 messages in flight towards
            // us [MQTT-3.3.4-9]; MQTT.js 5.16 enforces it with code 147 too.
            let max = self.opts.connect.properties.iter().find_map(|p| match p {
                Property::ReceiveMaximum(m) => Some(*m),
                _ => None,
            });
            let in_flight = self.incoming_qos2.len() + self.incoming_qos2_pending.len();
            if let Some(max) = max.filter(|&m| in_flight >= m as usize) {
                return Err(SessionError::Reported(Violation::new(
                    "MQTT-3.3.4-9",
                    format!(
                        "Receive Maximum exceeded: {} inbound QoS 2 messages in flight, receiveMaximum is {max}",
                        in_flight + 1
                    ),
                    0x93,
                )));
            }
            self.incoming_qos2_pending.insert(p.packet_id);
        }
        self.events.push_back(Event::Publish(p));
        Ok(())
    }

    /// An ack that answers a different kind of flow than the one pending on its packet id
    /// (a PUBACK for a QoS 2 PUBLISH, a SUBACK for a PUBLISH...): a protocol error
    /// [MQTT-4.3.2, 4.3.3, 3.9.3, 3.11.3], with MQTT.js's wording. An ack for no pending
    /// flow at all is ignored (a late duplicate), as MQTT.js does.
    fn check_ack_kind(&self, ack: PacketType, id: u16) -> Result<(), SessionError> {
        let pending = match self.outgoing.get(&id) {
            None => return Ok(()),
            // As MQTT.js 5.16: a PUBACK or PUBCOMP finishes any pending publish (brokers and
            // test servers answer QoS 2 with PUBACK); a PUBREC for QoS 1 is refused here.
            Some(Outgoing::Publish { packet, .. }) => match (packet.qos, ack) {
                (_, PacketType::PubAck | PacketType::PubComp) => return Ok(()),
                (QoS::ExactlyOnce, PacketType::PubRec) => return Ok(()),
                _ => "publish",
            },
            Some(Outgoing::PubRel(_)) => match ack {
                PacketType::PubComp | PacketType::PubRec => return Ok(()),
                _ => "pubrel",
            },
            Some(Outgoing::Subscribe { .. }) if ack == PacketType::SubAck => return Ok(()),
            Some(Outgoing::Subscribe { .. }) => "subscribe",
            Some(Outgoing::Unsubscribe { .. }) if ack == PacketType::UnsubAck => return Ok(()),
            Some(Outgoing::Unsubscribe { .. }) => "unsubscribe",
        };
        Err(SessionError::UnexpectedAck(Violation::protocol(
            "MQTT-4.3",
            format!(
                "Protocol error: {} does not answer the {pending} pending on message id {id}",
                ack.name().to_ascii_lowercase()
            ),
        )))
    }

    fn on_puback(&mut self, a: Ack) {
        if let Some(Outgoing::Publish { .. }) = self.outgoing.get(&a.packet_id) {
            self.end_flow(a.packet_id);
            self.events.push_back(Event::Published {
                packet_id: a.packet_id,
                ack: a,
                kind: PacketType::PubAck,
            });
        }
    }

    fn on_pubrec(&mut self, a: Ack, now: Instant) {
        let id = a.packet_id;
        match self.outgoing.get(&id) {
            Some(Outgoing::Publish { packet, .. }) if packet.qos == QoS::ExactlyOnce => {
                if a.reason_code >= 0x80 {
                    self.end_flow(id);
                    self.events.push_back(Event::Published {
                        packet_id: id,
                        ack: a,
                        kind: PacketType::PubRec,
                    });
                    return;
                }
                let rel = Ack::new(id);
                self.outgoing.insert(id, Outgoing::PubRel(rel.clone()));
                self.send(Packet::PubRel(rel), now);
                if self.in_quota.contains(&id) {
                    // Its place at the broker is free once the broker reads this PUBREL,
                    // before any PUBLISH that goes after it.
                    self.awaiting_pubrec -= 1;
                }
                self.events.push_back(Event::Released(a));
            }
            Some(Outgoing::PubRel(rel)) => {
                // The PUBREC was resent: so is our PUBREL.
                let rel = rel.clone();
                self.send(Packet::PubRel(rel), now);
            }
            _ => {
                let rel = Ack {
                    reason_code: if self.version.is_v5() { 0x92 } else { 0 },
                    ..Ack::new(id)
                };
                self.send(Packet::PubRel(rel), now);
            }
        }
    }

    fn on_pubcomp(&mut self, a: Ack) {
        if let Some(Outgoing::PubRel(_) | Outgoing::Publish { .. }) =
            self.outgoing.get(&a.packet_id)
        {
            self.end_flow(a.packet_id);
            self.events.push_back(Event::Published {
                packet_id: a.packet_id,
                ack: a,
                kind: PacketType::PubComp,
            });
        }
    }
}

#[cfg(test)]
mod tests;
