//! The run's timeline, printed like `kubectl get events -w` with the
//! virtual time in the first column.

#![warn(missing_docs)]

use super::table::render;
use crate::sim::trace::EventRecord;
use crate::simulation::{UserError, UserOutput};

/// An object as the events table names it: `pod/web-1`.
pub fn object_ref(kind: &str, name: &str) -> String {
    format!("{}/{}", kind.to_ascii_lowercase(), name)
}

/// The timeline table (TIME, TYPE, REASON, OBJECT, MESSAGE): the Events
/// and the user's errors (type `Error`), in time order, Events first at
/// the same instant.
pub fn render_events(events: &[EventRecord], errors: &[UserError], outputs: &[UserOutput]) -> String {
    let mut rows: Vec<(crate::sim::SimTime, usize, Vec<String>)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                e.time,
                i,
                vec![
                    e.time.to_string(),
                    if e.warning { "Warning".into() } else { "Normal".into() },
                    e.reason.to_string(),
                    object_ref(e.kind, &e.name),
                    e.message.clone(),
                ],
            )
        })
        .collect();
    for (i, u) in errors.iter().enumerate() {
        rows.push((
            u.time,
            usize::MAX / 2 + i,
            vec![u.time.to_string(), "Error".into(), "kubectl".into(), "-".into(), u.message.clone()],
        ));
    }
    for (i, o) in outputs.iter().enumerate() {
        rows.push((
            o.time,
            usize::MAX / 4 + i,
            vec![o.time.to_string(), "Output".into(), "kubectl".into(), o.object.clone(), o.message.clone()],
        ));
    }
    rows.sort_by_key(|(t, i, _)| (*t, *i));
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, _, r)| r).collect();
    render(&["TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"], &rows)
}
