//! Packet identifier allocation [MQTT-2.2.1]: non-zero, and not reused while the flow that
//! holds it is unfinished [MQTT-2.2.1-3].
//!
//! Like MQTT.js's default provider, ids are handed out in sequence from a starting point and
//! wrap after 65535; unlike it, an id still in use is skipped rather than handed out twice.

/// How many ids in use are kept in a list before a bitmap of all 65,535 takes over.
const FEW: usize = 8;

/// The ids in use: a short list while there are few (an idle or lightly used session then
/// costs no 8 KiB bitmap; thousands of clients in one process each have one), a bitmap of
/// every id while there are many, back to the list once none is in use.
#[derive(Debug, Clone)]
enum Used {
    Few { ids: [u16; FEW], n: u8 },
    Many(Box<[u64; 1024]>),
}

impl Used {
    const EMPTY: Used = Used::Few {
        ids: [0; FEW],
        n: 0,
    };
}

/// Tracks which of the 65,535 identifiers are in use.
#[derive(Debug, Clone)]
pub struct PacketIds {
    in_use: Used,
    count: usize,
    next: u16,
    last: u16,
}

impl PacketIds {
    /// An allocator whose first id is `start` (0 is read as 1).
    pub fn new(start: u16) -> Self {
        PacketIds {
            in_use: Used::EMPTY,
            count: 0,
            next: start.max(1),
            last: 0,
        }
    }

    /// True when `id` is taken.
    pub fn is_used(&self, id: u16) -> bool {
        match &self.in_use {
            Used::Few { ids, n } => ids[..*n as usize].contains(&id),
            Used::Many(bits) => bits[id as usize / 64] & (1 << (id % 64)) != 0,
        }
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
        match &mut self.in_use {
            Used::Few { ids, n } if (*n as usize) < FEW => {
                ids[*n as usize] = id;
                *n += 1;
            }
            Used::Few { ids, .. } => {
                let mut bits = Box::new([0u64; 1024]);
                for &i in ids.iter().chain(std::iter::once(&id)) {
                    bits[i as usize / 64] |= 1 << (i % 64);
                }
                self.in_use = Used::Many(bits);
            }
            Used::Many(bits) => bits[id as usize / 64] |= 1 << (id % 64),
        }
        self.count += 1;
        self.last = id;
        true
    }

    /// Frees `id`. Returns false if it was not in use.
    pub fn release(&mut self, id: u16) -> bool {
        if id == 0 || !self.is_used(id) {
            return false;
        }
        self.count -= 1;
        match &mut self.in_use {
            Used::Few { ids, n } => {
                let len = *n as usize;
                if let Some(k) = ids[..len].iter().position(|&i| i == id) {
                    ids[k] = ids[len - 1];
                    *n -= 1;
                }
            }
            Used::Many(bits) => {
                bits[id as usize / 64] &= !(1 << (id % 64));
                if self.count == 0 {
                    self.in_use = Used::EMPTY;
                }
            }
        }
        true
    }

    /// Frees every id.
    pub fn clear(&mut self) {
        self.in_use = Used::EMPTY;
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
    fn many_ids_should_move_to_the_bitmap_and_back_to_the_list_when_none_is_used() {
        let mut ids = PacketIds::new(1);
        let taken: Vec<u16> = (0..20).map(|_| ids.allocate().unwrap()).collect();
        assert_eq!(taken, (1..=20).collect::<Vec<u16>>());
        assert!(matches!(ids.in_use, Used::Many(_)));
        for id in 1..=20 {
            assert!(ids.is_used(id));
        }
        assert!(!ids.is_used(21));
        for id in (1..=20).rev() {
            assert!(ids.release(id));
        }
        assert!(ids.is_empty());
        assert!(matches!(ids.in_use, Used::Few { n: 0, .. }));
        // Released ids out of order from the list keep the others.
        let a = ids.allocate().unwrap();
        let b = ids.allocate().unwrap();
        let c = ids.allocate().unwrap();
        assert!(ids.release(b));
        assert!(ids.is_used(a) && !ids.is_used(b) && ids.is_used(c));
        assert_eq!(ids.len(), 2);
        ids.clear();
        assert!(!ids.is_used(a) && ids.is_empty());
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
