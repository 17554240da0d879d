//! The emulator's bounded memory of trigger requests, and the notices the live stream sends.
//!
//! Each request is kept as one compact [`Entry`]: the raw body bytes once, the headers as one
//! string (passcode redacted), and what was answered as a few numbers. Everything else a reader
//! wants (the parsed payload, properties, the answer's body, the failed rule) is derived from
//! those when asked, so a recorded bulletin costs well under 1 KiB. At most `max` entries are
//! kept; the oldest go first and are counted.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::broadcast;

use crate::entry::{DeliveryStatus, Entry, Kind};
use crate::lock;

/// How many entries are kept by default.
pub const DEFAULT_MAX_RECORDED: usize = 100_000;

/// How many bytes of bodies and headers are kept at most, whatever the count: 100,000
/// bulletins of the largest size allowed (1 MiB) would otherwise need 100 GiB.
pub(crate) const MAX_RECORDED_BYTES: usize = 512 * 1024 * 1024;

/// How many notices a slow live-stream reader may fall behind before it is told it lagged.
const NOTICE_BUFFER: usize = 1024;

/// Which entries a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    /// Only bulletins (`Some(true)`) or only rejections (`Some(false)`).
    pub(crate) bulletins: Option<bool>,
    /// Only this business event.
    pub(crate) event: Option<String>,
    /// Only this status word ([`Kind::word`]).
    pub(crate) status: Option<String>,
    /// Only entries showing this text (case-insensitive) wherever the inspector's row shows
    /// something: the event, the bulletin's name, the error, a property's key or value.
    pub(crate) text: Option<String>,
}

impl Filter {
    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        if self.bulletins.is_some_and(|b| b != entry.is_bulletin()) {
            return false;
        }
        if let Some(event) = &self.event {
            if entry.event.as_deref() != Some(event.as_str()) {
                return false;
            }
        }
        if let Some(status) = &self.status {
            if entry.kind.word() != status {
                return false;
            }
        }
        if let Some(text) = &self.text {
            return contains_text(entry, &text.to_lowercase());
        }
        true
    }
}

/// Searches what a row of the inspector shows: the event, the error, the bulletin's `name` and
/// its properties' keys and values (a body that is not JSON, as text). The cheap search on the
/// raw body comes first so most entries are never parsed (skipped when the body escapes
/// characters, which the raw bytes would hide).
fn contains_text(entry: &Entry, needle: &str) -> bool {
    let holds = |text: &str| text.to_lowercase().contains(needle);
    if entry.error.as_deref().is_some_and(holds) || entry.event.as_deref().is_some_and(holds) {
        return true;
    }
    let Some(body) = entry.body_text() else {
        return false;
    };
    if !body.contains('\\') && !holds(&body) {
        return false;
    }
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(&body) else {
        return holds(&body);
    };
    let text = |value: &serde_json::Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    if payload.get("name").is_some_and(|name| holds(&text(name))) {
        return true;
    }
    payload
        .get("properties")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|properties| {
            properties
                .iter()
                .any(|(key, value)| holds(key) || holds(&text(value)))
        })
}

/// A change the live stream reports. An entry travels whole (its body and headers are shared,
/// not copied) so that each reader can filter it and say as much of it as it asked for.
#[derive(Debug, Clone)]
pub(crate) enum Notice {
    /// A new entry.
    Entry(Entry),
    /// An entry's status changed (a delayed bulletin was acknowledged).
    Updated(Entry),
    /// An entry was deleted.
    Deleted {
        /// Its id.
        id: u64,
    },
    /// Entries were cleared.
    Cleared,
}

#[derive(Debug)]
struct Entries {
    next_id: u64,
    /// Sorted by id: ids are handed out in increasing order as entries are pushed.
    items: VecDeque<Entry>,
    evicted: u64,
    /// The sum of the kept entries' weights.
    bytes: usize,
}

/// One page of a listing.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) entries: Vec<Entry>,
    /// Whether more entries match past the last one.
    pub(crate) more: bool,
    /// How many entries were dropped to keep within the limit, ever.
    pub(crate) evicted: u64,
}

/// Which way a page runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cursor {
    /// Oldest first, ids above this one.
    After(u64),
    /// Newest first, ids below this one (`None`: from the newest).
    Before(Option<u64>),
}

/// The emulator's memory, shared by the connections, the handle and the inspector.
#[derive(Debug)]
pub(crate) struct Log {
    max: usize,
    max_bytes: usize,
    entries: Mutex<Entries>,
    notices: broadcast::Sender<Notice>,
}

impl Log {
    /// A log keeping at most `max` entries (at least one).
    pub(crate) fn new(max: usize) -> Self {
        Self::with_byte_budget(max, MAX_RECORDED_BYTES)
    }

    /// A log keeping at most `max` entries and `max_bytes` of bodies and headers.
    fn with_byte_budget(max: usize, max_bytes: usize) -> Self {
        Self {
            max: max.max(1),
            max_bytes,
            entries: Mutex::new(Entries {
                next_id: 0,
                items: VecDeque::new(),
                evicted: 0,
                bytes: 0,
            }),
            notices: broadcast::channel(NOTICE_BUFFER).0,
        }
    }

    /// The most entries kept.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Records an entry, evicting the oldest when full, and returns its id.
    pub(crate) fn record(&self, mut entry: Entry) -> u64 {
        let mut entries = lock(&self.entries);
        entries.next_id += 1;
        entry.id = entries.next_id;
        let weight = entry.weight();
        while entries.items.len() >= self.max
            || (entries.bytes + weight > self.max_bytes && !entries.items.is_empty())
        {
            if let Some(old) = entries.items.pop_front() {
                entries.bytes -= old.weight();
            }
            entries.evicted += 1;
        }
        entries.bytes += weight;
        // Copied only for a listener: the stream costs nothing when nobody looks.
        if self.notices.receiver_count() > 0 {
            let _ = self.notices.send(Notice::Entry(entry.clone()));
        }
        entries.items.push_back(entry);
        entries.next_id
    }

    /// Marks a recorded bulletin as accepted (if it is still kept).
    pub(crate) fn acknowledge(&self, id: u64) {
        let mut entries = lock(&self.entries);
        if let Some(index) = index_of(&entries.items, id) {
            let entry = &mut entries.items[index];
            entry.kind = Kind::Bulletin(DeliveryStatus::Accepted);
            if self.notices.receiver_count() > 0 {
                let _ = self.notices.send(Notice::Updated(entry.clone()));
            }
        }
    }

    /// One entry by id.
    pub(crate) fn get(&self, id: u64) -> Option<Entry> {
        let entries = lock(&self.entries);
        index_of(&entries.items, id).map(|index| entries.items[index].clone())
    }

    /// Every entry the filter matches, oldest first.
    pub(crate) fn all(&self, filter: &Filter) -> Vec<Entry> {
        let entries = lock(&self.entries);
        entries
            .items
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    /// Up to `limit` entries the filter matches, from the cursor.
    pub(crate) fn page(&self, filter: &Filter, cursor: Cursor, limit: usize) -> Page {
        let entries = lock(&self.entries);
        let items = &entries.items;
        let mut found = Vec::with_capacity(limit.min(1000));
        let mut more = false;
        let mut take = |entry: &Entry| {
            if !filter.matches(entry) {
                return true;
            }
            if found.len() == limit {
                more = true;
                return false;
            }
            found.push(entry.clone());
            true
        };
        match cursor {
            Cursor::After(after) => {
                let start = items.partition_point(|e| e.id <= after);
                for entry in items.range(start..) {
                    if !take(entry) {
                        break;
                    }
                }
            }
            Cursor::Before(before) => {
                let end = before.map_or(items.len(), |b| items.partition_point(|e| e.id < b));
                for entry in items.range(..end).rev() {
                    if !take(entry) {
                        break;
                    }
                }
            }
        }
        Page {
            entries: found,
            more,
            evicted: entries.evicted,
        }
    }

    /// Entries per business event: `(event, bulletins, rejections)`, by event name.
    pub(crate) fn counts(&self) -> Vec<(String, u64, u64)> {
        let entries = lock(&self.entries);
        let mut counts = std::collections::BTreeMap::<&str, (u64, u64)>::new();
        for entry in &entries.items {
            let slot = counts
                .entry(entry.event.as_deref().unwrap_or(""))
                .or_default();
            if entry.is_bulletin() {
                slot.0 += 1;
            } else {
                slot.1 += 1;
            }
        }
        counts
            .into_iter()
            .map(|(event, (b, r))| (event.to_owned(), b, r))
            .collect()
    }

    /// How many entries were evicted.
    pub(crate) fn evicted(&self) -> u64 {
        lock(&self.entries).evicted
    }

    /// How many entries are kept now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.entries).items.len()
    }

    /// Forgets one entry; whether it was there.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut entries = lock(&self.entries);
        let removed = index_of(&entries.items, id).and_then(|index| entries.items.remove(index));
        let removed = match removed {
            Some(old) => {
                entries.bytes -= old.weight();
                true
            }
            None => false,
        };
        if removed {
            let _ = self.notices.send(Notice::Deleted { id });
        }
        removed
    }

    /// Forgets the entries the filter matches.
    pub(crate) fn clear(&self, filter: &Filter) {
        let mut entries = lock(&self.entries);
        entries.items.retain(|e| !filter.matches(e));
        entries.bytes = entries.items.iter().map(Entry::weight).sum();
        drop(entries);
        let _ = self.notices.send(Notice::Cleared);
    }

    /// The live stream of changes.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}

fn index_of(items: &VecDeque<Entry>, id: u64) -> Option<usize> {
    // Sorted by id: a binary search keeps each answer's cost independent of how much is kept.
    items.binary_search_by_key(&id, |e| e.id).ok()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

    fn entry() -> Entry {
        Entry::new(Kind::Rejection { fault: false }, &HeaderMap::new())
    }

    #[test]
    fn keeps_at_most_max_and_counts_the_evicted() {
        let log = Log::new(3);
        for _ in 0..5 {
            log.record(entry());
        }
        assert_eq!(log.len(), 3);
        assert_eq!(log.evicted(), 2);
        let page = log.page(&Filter::default(), Cursor::After(0), 10);
        let ids: Vec<u64> = page.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(page.evicted, 2);
    }

    #[test]
    fn keeps_at_most_the_byte_budget() {
        let with_body = |len: usize| entry().with_body(vec![b'x'; len]);
        let log = Log::with_byte_budget(100, 10);
        log.record(with_body(4));
        log.record(with_body(6));
        // Exactly at the budget: both kept.
        assert_eq!((log.len(), log.evicted()), (2, 0));
        // One byte over: the oldest goes.
        log.record(with_body(1));
        assert_eq!((log.len(), log.evicted()), (2, 1));
        // An entry larger than the whole budget is still kept, alone.
        log.record(with_body(11));
        assert_eq!((log.len(), log.evicted()), (1, 3));
        // Deleting gives its bytes back.
        let id = log.page(&Filter::default(), Cursor::After(0), 1).entries[0].id;
        assert!(log.remove(id));
        log.record(with_body(10));
        assert_eq!((log.len(), log.evicted()), (1, 3));
    }

    #[test]
    fn pages_both_ways_and_says_when_more_remain() {
        let log = Log::new(10);
        for _ in 0..5 {
            log.record(entry());
        }
        let ids = |page: &Page| page.entries.iter().map(|e| e.id).collect::<Vec<_>>();
        let first = log.page(&Filter::default(), Cursor::After(1), 2);
        assert_eq!((ids(&first), first.more), (vec![2, 3], true));
        let last = log.page(&Filter::default(), Cursor::After(3), 2);
        assert_eq!((ids(&last), last.more), (vec![4, 5], false));
        let newest = log.page(&Filter::default(), Cursor::Before(None), 2);
        assert_eq!((ids(&newest), newest.more), (vec![5, 4], true));
        let older = log.page(&Filter::default(), Cursor::Before(Some(2)), 2);
        assert_eq!((ids(&older), older.more), (vec![1], false));
    }
}
