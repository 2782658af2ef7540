//! Packet identifier allocation [MQTT-2.2.1]: non-zero, and not reused while the flow that
//! holds it is unfinished [MQTT-2.2.1-3].
//!
//! Like MQTT.js's default provider, ids are handed out in sequence from a starting point and
//! wrap after 65535; unlike it, an id still in use is skipped rather than handed out twice.

/// Tracks which of the 65,535 identifiers are in use.
#[derive(Debug, Clone)]
pub struct PacketIds {
    in_use: Box<[u64; 1024]>,
    count: usize,
    next: u16,
    last: u16,
}

impl PacketIds {
    /// An allocator whose first id is `start` (0 is read as 1).
    pub fn new(start: u16) -> Self {
        PacketIds {
            in_use: Box::new([0; 1024]),
            count: 0,
            next: start.max(1),
            last: 0,
        }
    }

    /// True when `id` is taken.
    pub fn is_used(&self, id: u16) -> bool {
        self.in_use[id as usize / 64] & (1 << (id % 64)) != 0
    }

    /// Number of ids in use.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no id is in use.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id most recently allocated or registered, 0 before any.
    pub fn last(&self) -> u16 {
        self.last
    }

    /// Takes the next free id; `None` when all 65,535 are in use.
    pub fn allocate(&mut self) -> Option<u16> {
        if self.count == 65_535 {
            return None;
        }
        loop {
            let id = self.next;
            self.next = if id == u16::MAX { 1 } else { id + 1 };
            if !self.is_used(id) {
                self.register(id);
                return Some(id);
            }
        }
    }

    /// Marks `id` as in use (an id chosen elsewhere, or restored from a store). Returns
    /// false if it already was, or is 0.
    pub fn register(&mut self, id: u16) -> bool {
        if id == 0 || self.is_used(id) {
            return false;
        }
        self.in_use[id as usize / 64] |= 1 << (id % 64);
        self.count += 1;
        self.last = id;
        true
    }

    /// Frees `id`. Returns false if it was not in use.
    pub fn release(&mut self, id: u16) -> bool {
        if id == 0 || !self.is_used(id) {
            return false;
        }
        self.in_use[id as usize / 64] &= !(1 << (id % 64));
        self.count -= 1;
        true
    }

    /// Frees every id.
    pub fn clear(&mut self) {
        self.in_use.fill(0);
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_should_be_sequential_from_the_start() {
        let mut ids = PacketIds::new(10);
        assert_eq!(ids.allocate(), Some(10));
        assert_eq!(ids.allocate(), Some(11));
        assert_eq!(ids.last(), 11);
    }

    #[test]
    fn ids_should_wrap_past_65535_and_never_be_zero() {
        let mut ids = PacketIds::new(u16::MAX);
        assert_eq!(ids.allocate(), Some(u16::MAX));
        assert_eq!(ids.allocate(), Some(1));
    }

    #[test]
    fn an_id_in_use_should_be_skipped() {
        let mut ids = PacketIds::new(1);
        assert!(ids.register(2));
        assert_eq!(ids.allocate(), Some(1));
        assert_eq!(ids.allocate(), Some(3));
        assert!(ids.release(2));
        assert!(!ids.release(2));
    }

    #[test]
    fn exhaustion_should_return_none_until_an_id_is_released() {
        let mut ids = PacketIds::new(1);
        for _ in 0..65_535 {
            assert!(ids.allocate().is_some());
        }
        assert_eq!(ids.allocate(), None);
        ids.release(500);
        assert_eq!(ids.allocate(), Some(500));
    }
}
