//! The `apportion` binary: the command line of [`apportion_cli`], with the allocator the
//! engine is measured with.

use std::process::ExitCode;

/// Rule evaluation allocates small values on worker threads that are freed elsewhere; glibc's
/// allocator handles that pattern poorly (measured in the commit that added this). Built
/// without its transparent-huge-page advice (`no_thp`): a large book is touched once, and on
/// virtual machines a huge page's first touch cost 4-7x as much as small pages (measured in
/// the commit that turned it off).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(apportion_cli::run(std::env::args_os()))
}
