//! The jobs of one face check (decoding and tracking each frame, each
//! model run) spread over the engine's cores.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::BiometricError;

/// A job of a check, run on one of the engine's cores.
pub type Job<'a, T> = Box<dyn FnOnce() -> Result<T, BiometricError> + Send + 'a>;

/// Run `jobs` on up to `workers` threads (the calling one among them),
/// each thread taking the next job as it is free, so the cores stay busy
/// until the last one (give the longest first); results in the jobs'
/// order. The engine's gate still caps inference across checks.
pub fn spread<T: Send>(workers: usize, jobs: Vec<Job<'_, T>>) -> Result<Vec<T>, BiometricError> {
    let n = jobs.len();
    let queue: Vec<Mutex<Option<Job<'_, T>>>> =
        jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let done: Vec<Mutex<Option<Result<T, BiometricError>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = queue.get(i) else { break };
        let job = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let (Some(job), Some(out)) = (job, done.get(i)) {
            *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(job());
        }
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers.min(n)).map(|_| s.spawn(work)).collect();
        work();
        // A helper that panicked leaves its job without a result (below).
        helpers.into_iter().for_each(|h| drop(h.join()));
    });
    done.into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Err(BiometricError::Inference("a frame's thread failed".into())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_jobs_each_run_once_and_come_back_in_their_order() {
        let ran = AtomicUsize::new(0);
        let jobs: Vec<Job<'_, usize>> = (0..10)
            .map(|i| -> Job<'_, usize> {
                let ran = &ran;
                Box::new(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                    Ok(i * i)
                })
            })
            .collect();
        let out = spread(3, jobs).expect("no job failed");
        assert_eq!(out, (0..10).map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(ran.load(Ordering::SeqCst), 10);
        assert!(spread::<usize>(2, Vec::new())
            .expect("nothing to do")
            .is_empty());
        let failing: Vec<Job<'_, usize>> = vec![
            Box::new(|| Ok(1)),
            Box::new(|| Err(BiometricError::NoFace)),
            Box::new(|| Ok(3)),
        ];
        assert!(matches!(spread(2, failing), Err(BiometricError::NoFace)));
    }
}
