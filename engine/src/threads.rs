//! Running on a pool of a chosen number of worker threads, within a bound.

use crate::error::{Error, InputError, Result};

/// The most worker threads a run may ask for. More than a machine's cores only adds threads
/// that wait, and each costs a stack and a sandboxed engine of its own: 10000 of them took
/// half a minute and a gigabyte to profile three customers. 256 is above the cores of any
/// machine this runs on.
pub const MAX_THREADS: usize = 256;

/// `threads` checked to be within 1 to [`MAX_THREADS`].
pub(crate) fn check(threads: Option<usize>) -> Result<Option<usize>, InputError> {
    match threads {
        Some(n) if n == 0 || n > MAX_THREADS => Err(InputError::InvalidThreads { threads: n }),
        threads => Ok(threads),
    }
}

/// Runs `work` on a pool of `threads` workers, or on rayon's global pool for `None`. A count
/// out of range is an error, and so is a pool the system cannot start (it is never silently
/// replaced by another size).
pub(crate) fn run<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    match check(threads)? {
        None => work(),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::ThreadPool {
                    threads: n,
                    message: e.to_string(),
                })?;
            pool.install(work)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_outside_one_to_the_bound_are_refused() {
        for n in [0, MAX_THREADS + 1, usize::MAX] {
            let error = check(Some(n)).unwrap_err();
            assert_eq!(error.code(), "invalid_threads");
            assert!(error.to_string().contains(&format!("`{n}`")), "{error}");
        }
        assert_eq!(check(Some(1)), Ok(Some(1)));
        assert_eq!(check(Some(MAX_THREADS)), Ok(Some(MAX_THREADS)));
        assert_eq!(check(None), Ok(None));
    }

    #[test]
    fn work_runs_on_the_pool_asked_for() {
        assert_eq!(run(Some(3), || Ok(rayon::current_num_threads())), Ok(3));
        assert!(run(Some(MAX_THREADS + 1), || Ok(())).is_err());
    }
}
