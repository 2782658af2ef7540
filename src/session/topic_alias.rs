//! MQTT 5 topic aliases, per connection, both ways (section 3.3.2.3.4).
//!
//! Incoming: the server may replace a topic by an alias up to the Topic Alias Maximum we
//! announced in CONNECT; we map it back before the application sees the PUBLISH.
//! Outgoing: up to the maximum the server announced in CONNACK, the application may set
//! aliases itself, or let them be used (`auto_use`) or assigned (`auto_assign`, least
//! recently used first), as MQTT.js's `autoUseTopicAlias` / `autoAssignTopicAlias`.
//! Stored flows always keep the full topic: aliases die with the connection.

use std::collections::HashMap;

use crate::codec::{MqttStr, Property, Publish, Violation};

const TOPIC_ALIAS: u8 = 0x23;

/// Why an outgoing alias cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AliasError {
    /// Beyond the server's Topic Alias Maximum (or the server allows none).
    #[error("Sending Topic Alias out of range")]
    OutOfRange,
    /// An empty topic with an alias this connection never registered.
    #[error("Unregistered Topic Alias")]
    Unregistered,
}

/// Alias tables of one connection.
#[derive(Debug, Default)]
pub struct TopicAliases {
    /// Our Topic Alias Maximum (from CONNECT); 0 refuses incoming aliases.
    pub recv_max: u16,
    /// The server's Topic Alias Maximum (from CONNACK).
    send_max: u16,
    /// The tables, made at the first alias of a connection: most connections use none,
    /// and thousands of clients in one process each have a session.
    tables: Option<Box<Tables>>,
    tick: u64,
    /// MQTT.js `autoUseTopicAlias` / `autoAssignTopicAlias`.
    pub auto_use: bool,
    /// See `auto_use`.
    pub auto_assign: bool,
}

/// The aliases in use on a connection.
#[derive(Debug, Default)]
struct Tables {
    /// Incoming: topic by alias.
    recv: HashMap<u16, MqttStr>,
    /// Outgoing aliases: topic by alias (index alias - 1) and when last used.
    send: Vec<Option<(MqttStr, u64)>>,
    /// Outgoing: alias by topic.
    by_topic: HashMap<MqttStr, u16>,
}

impl TopicAliases {
    /// Tables for a client announcing `recv_max` in CONNECT, with MQTT.js's auto options.
    pub fn new(recv_max: u16, auto_use: bool, auto_assign: bool) -> Self {
        TopicAliases {
            recv_max,
            auto_use,
            auto_assign,
            ..Default::default()
        }
    }

    /// A new connection: forget every alias; `send_max` comes from the CONNACK.
    pub fn reset(&mut self, send_max: u16) {
        self.tables = None;
        self.send_max = send_max;
    }

    /// Checks an incoming PUBLISH's alias (in range, registered when the topic is empty),
    /// registering new ones. The topic is left as received.
    pub fn incoming(&mut self, p: &mut Publish) -> Result<(), Violation> {
        let Some(alias) = p.properties.topic_alias() else {
            return Ok(());
        };
        // The checks and words of MQTT.js 5.16's handlers/publish (its codes: 148 Topic
        // Alias invalid, 130 for an unregistered one).
        if self.recv_max == 0 {
            return Err(Violation::new(
                "MQTT-3.3.2-9",
                "Received a PUBLISH Topic Alias but no Topic Alias Maximum was advertised",
                0x94,
            ));
        }
        if p.topic.is_empty() {
            // The topic stays empty, as on the wire: the application resolves it for its
            // `message` event and keeps the packet as received (MQTT.js does the same).
            if alias == 0 {
                return Err(Violation::new(
                    "MQTT-3.3.2-8",
                    "Received Topic Alias 0 is outside the valid range 1-65535",
                    0x94,
                ));
            }
            if !self
                .tables
                .as_ref()
                .is_some_and(|t| t.recv.contains_key(&alias))
            {
                return Err(Violation::new(
                    "3.3.2.3.4",
                    "Received unregistered Topic Alias",
                    0x82,
                ));
            }
        } else if alias == 0 || alias > self.recv_max {
            return Err(Violation::new(
                "MQTT-3.3.2-9",
                format!(
                    "Received Topic Alias {alias} is outside the advertised Topic Alias Maximum range 1-{}",
                    self.recv_max
                ),
                0x94,
            ));
        } else {
            self.tables_mut().recv.insert(alias, p.topic.clone());
        }
        Ok(())
    }

    /// Prepares an outgoing PUBLISH: `p` becomes the form to keep (full topic, no alias),
    /// and the form to write is returned when it differs.
    pub fn outgoing(&mut self, p: &mut Publish) -> Result<Option<Publish>, AliasError> {
        match p.properties.topic_alias() {
            Some(alias) => {
                if alias == 0 || alias > self.send_max {
                    return Err(AliasError::OutOfRange);
                }
                let wire = p.clone();
                if p.topic.is_empty() {
                    p.topic = self.topic_of(alias).ok_or(AliasError::Unregistered)?;
                } else {
                    self.register(alias, p.topic.clone());
                }
                p.properties.remove_id(TOPIC_ALIAS);
                Ok(Some(wire))
            }
            None if self.send_max > 0
                && !p.topic.is_empty()
                && (self.auto_use || self.auto_assign) =>
            {
                let known = self.tables.as_ref().and_then(|t| t.by_topic.get(&p.topic));
                if let Some(&alias) = known {
                    self.touch(alias);
                    let mut wire = p.clone();
                    wire.topic = MqttStr::default();
                    wire.properties.0.push(Property::TopicAlias(alias));
                    return Ok(Some(wire));
                }
                if !self.auto_assign {
                    return Ok(None);
                }
                let alias = self.least_recently_used();
                self.register(alias, p.topic.clone());
                let mut wire = p.clone();
                wire.properties.0.push(Property::TopicAlias(alias));
                Ok(Some(wire))
            }
            None => Ok(None),
        }
    }

    fn tables_mut(&mut self) -> &mut Tables {
        self.tables.get_or_insert_with(Box::default)
    }

    fn topic_of(&mut self, alias: u16) -> Option<MqttStr> {
        let t = self
            .tables
            .as_ref()?
            .send
            .get(alias as usize - 1)?
            .as_ref()?
            .0
            .clone();
        self.touch(alias);
        Some(t)
    }

    fn touch(&mut self, alias: u16) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(Some(e)) = self
            .tables
            .as_mut()
            .and_then(|t| t.send.get_mut(alias as usize - 1))
        {
            e.1 = tick;
        }
    }

    fn register(&mut self, alias: u16, topic: MqttStr) {
        let i = alias as usize - 1;
        let t = self.tables_mut();
        if t.send.len() <= i {
            t.send.resize(i + 1, None);
        }
        if let Some((old, _)) = t.send[i].take() {
            t.by_topic.remove(&old);
        }
        t.by_topic.insert(topic.clone(), alias);
        t.send[i] = Some((topic, 0));
        self.touch(alias);
    }

    /// A free alias if there is one, else the one used least recently.
    fn least_recently_used(&self) -> u16 {
        let send = self.tables.as_ref().map_or(&[][..], |t| &t.send[..]);
        if send.len() < self.send_max as usize {
            if let Some(i) = send.iter().position(Option::is_none) {
                return i as u16 + 1;
            }
            return send.len() as u16 + 1;
        }
        let mut best = (u64::MAX, 1u16);
        for (i, e) in send.iter().enumerate() {
            match e {
                None => return i as u16 + 1,
                Some((_, t)) if *t < best.0 => best = (*t, i as u16 + 1),
                _ => {}
            }
        }
        best.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn publish(topic: &str, alias: Option<u16>) -> Publish {
        let mut p = Publish {
            topic: MqttStr::new(topic).unwrap(),
            payload: Bytes::from_static(b"x"),
            ..Default::default()
        };
        if let Some(a) = alias {
            p.properties.0.push(Property::TopicAlias(a));
        }
        p
    }

    #[test]
    fn incoming_aliases_should_be_checked_and_unknown_ones_fail() {
        let mut t = TopicAliases {
            recv_max: 2,
            ..Default::default()
        };
        let mut a = publish("a/b", Some(1));
        t.incoming(&mut a).unwrap();
        let mut b = publish("", Some(1));
        t.incoming(&mut b).unwrap();
        assert_eq!(b.topic.as_str(), "", "left as received");
        assert_eq!(
            t.incoming(&mut publish("", Some(2)))
                .unwrap_err()
                .reason_code,
            0x82
        );
        assert_eq!(
            t.incoming(&mut publish("x", Some(3)))
                .unwrap_err()
                .reason_code,
            0x94
        );
        t.reset(0);
        assert!(
            t.incoming(&mut publish("", Some(1))).is_err(),
            "aliases end with the connection"
        );
    }

    #[test]
    fn auto_assign_should_reuse_then_evict_the_least_recently_used() {
        let mut t = TopicAliases {
            auto_assign: true,
            ..Default::default()
        };
        t.reset(2);
        let mut p = publish("t/1", None);
        let wire = t.outgoing(&mut p).unwrap().unwrap();
        assert_eq!(
            (wire.topic.as_str(), wire.properties.topic_alias()),
            ("t/1", Some(1))
        );
        let wire = t.outgoing(&mut publish("t/1", None)).unwrap().unwrap();
        assert_eq!(
            (wire.topic.as_str(), wire.properties.topic_alias()),
            ("", Some(1))
        );
        t.outgoing(&mut publish("t/2", None)).unwrap();
        t.outgoing(&mut publish("t/1", None)).unwrap();
        // t/2 is now the least recently used: t/3 takes its alias.
        let wire = t.outgoing(&mut publish("t/3", None)).unwrap().unwrap();
        assert_eq!(wire.properties.topic_alias(), Some(2));
        let wire = t.outgoing(&mut publish("t/2", None)).unwrap().unwrap();
        assert_eq!(
            (wire.topic.as_str(), wire.properties.topic_alias()),
            ("t/2", Some(1))
        );
    }

    #[test]
    fn explicit_aliases_should_be_checked_and_kept_out_of_the_stored_form() {
        let mut t = TopicAliases::default();
        t.reset(3);
        let mut p = publish("t/x", Some(2));
        let wire = t.outgoing(&mut p).unwrap().unwrap();
        assert_eq!(wire.properties.topic_alias(), Some(2));
        assert_eq!(p.properties.topic_alias(), None);
        let mut q = publish("", Some(2));
        t.outgoing(&mut q).unwrap();
        assert_eq!(q.topic.as_str(), "t/x");
        assert_eq!(
            t.outgoing(&mut publish("", Some(3))),
            Err(AliasError::Unregistered)
        );
        assert_eq!(
            t.outgoing(&mut publish("t", Some(4))),
            Err(AliasError::OutOfRange)
        );
        assert_eq!(
            t.outgoing(&mut publish("t/y", None)),
            Ok(None),
            "no auto option"
        );
    }
}
