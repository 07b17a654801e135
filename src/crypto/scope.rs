//! The master key of the deployment whose database a thread is working on:
//! set by `db::Db` around each closure it runs, read by the audit log to
//! seal each event's detail (`audit::record`) without every caller passing
//! the key down.

use std::cell::RefCell;

use super::MasterKey;

thread_local! {
    static CURRENT: RefCell<Option<MasterKey>> = const { RefCell::new(None) };
}

struct Restore(Option<MasterKey>);

impl Drop for Restore {
    fn drop(&mut self) {
        let prev = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// Run `f` with `key` as this thread's master key (restored afterwards).
pub fn with_master_key<T>(key: Option<MasterKey>, f: impl FnOnce() -> T) -> T {
    let _restore = Restore(CURRENT.with(|c| c.replace(key)));
    f()
}

/// The master key in scope on this thread, if any.
pub fn master_key() -> Option<MasterKey> {
    CURRENT.with(|c| c.borrow().clone())
}
