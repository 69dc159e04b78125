//! Shared strings for the fields that repeat.
//!
//! A condition reason (`ContainersNotReady`), a container state reason
//! (`ContainerCreating`) or a message built from a pod's container names is
//! the same text in thousands of pod versions. Interning it makes setting
//! the field a reference-count bump instead of an allocation (and dropping
//! a version frees nothing). The tables are per thread, never iterated (so
//! they cannot make a run depend on hashing), and bounded: `lit` holds the
//! literals of the source, `intern` only texts drawn from a bounded set.

#![warn(missing_docs)]

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static LITERALS: RefCell<FxHashMap<(usize, usize), Rc<str>>> = RefCell::default();
    static TEXTS: RefCell<FxHashMap<Box<str>, Rc<str>>> = RefCell::default();
    static EMPTY: Rc<str> = Rc::from("");
}

/// A string literal as a shared `Rc<str>` (one allocation per literal per
/// thread, ever).
pub fn lit(s: &'static str) -> Rc<str> {
    LITERALS.with(|m| m.borrow_mut().entry((s.as_ptr() as usize, s.len())).or_insert_with(|| Rc::from(s)).clone())
}

/// `text` as a shared `Rc<str>`. For texts from a bounded set only (the
/// table keeps every distinct text for the life of the thread).
pub fn intern(text: &str) -> Rc<str> {
    TEXTS.with(|m| {
        if let Some(rc) = m.borrow().get(text) {
            return rc.clone();
        }
        let rc: Rc<str> = Rc::from(text);
        m.borrow_mut().insert(text.into(), rc.clone());
        rc
    })
}

/// The empty string, shared (what `Rc<str>::default()` would allocate).
pub fn empty() -> Rc<str> {
    EMPTY.with(Rc::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_are_equal_to_their_text_and_shared() {
        let a = lit("ContainerCreating");
        let b = lit("ContainerCreating");
        assert_eq!(&*a, "ContainerCreating");
        assert!(Rc::ptr_eq(&a, &b));
        let owned = String::from("containers with unready status: [main]");
        let c = intern(&owned);
        assert!(Rc::ptr_eq(&c, &intern("containers with unready status: [main]")));
        assert_eq!(&*c, owned.as_str());
        assert!(empty().is_empty() && Rc::ptr_eq(&empty(), &empty()));
    }
}
